/*
 * screens.c - the kiosk's screens (screen.h): one const vtable for each
 * visit phase (idle, intake, infusion, recovery, discharge) and for the
 * overlays (the check-in prompt, the staff PIN pad, the staff menu).
 *
 * One thing per screen, few words, nothing a patient can get stuck in.
 * Every screen computes its layout from the window, the DPI and the offline
 * banner in one function that both draw and tap use, so what is drawn is
 * what is touched.  Touch targets are at least 16 mm and keep clear of the
 * help button (lower right, drawn by the manager) and of the hidden staff
 * corner (upper left, where nothing is drawn).
 *
 * Screens turn touches into the app's intents (app_*); the little that is
 * only the screen's business (the intake ticks, "my escort is here", a
 * wrong PIN) lives in file-local state below.
 */
#include "screen.h"
#include "sound.h"
#include "kcfg.h"
#include "questionnaire.h"
#include "playlist.h"
#include "str.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PIN_WRONG_SHOWN_MS 30000
#define INTAKE_ITEMS 3
#define FACES 5

/* ---- file-local state ------------------------------------------------------------ */

/* What only the screens remember, for the visit it belongs to (a new visit starts afresh). */
static struct {
    char visit[HV_ID_MAX];
    bool intake[INTAKE_ITEMS];   /* placeholder checklist ticks */
    bool escort;                 /* "My escort is here" */
} local;


static void local_sync(const struct app *a)
{
    if (strcmp(local.visit, a->visit) != 0) {
        memset(&local, 0, sizeof local);
        snprintf(local.visit, sizeof local.visit, "%s", a->visit);
    }
}

/* ---- layout --------------------------------------------------------------------- */

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

static int imax(int a, int b)
{
    return a > b ? a : b;
}

static int imin(int a, int b)
{
    return a < b ? a : b;
}

static struct frame frame_of(const struct app *a, const struct ui *ui)
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

/* The theme for the phase (overlays too: a check-in during the infusion stays dim), cleared. */
static struct frame begin(const struct app *a, struct ui *ui)
{
    ui->theme = a->phase == PHASE_INFUSION ? &ui_theme_night : &ui_theme_day;
    ui_clear(ui);
    return frame_of(a, ui);
}

/* The lowest y that full-width content may reach: above the help button. */
static int free_bottom(const struct frame *f)
{
    return f->help.y - f->gap;
}

/* The strip left of the help button, level with it: for one wide bottom-left target. */
static SDL_Rect bottom_left(const struct frame *f)
{
    SDL_Rect r = { f->m, f->help.y, f->help.x - f->gap - f->m, f->help.h };
    return r;
}

/*
 * n rows of touch targets from y0 down, at most maxw wide: centred above the
 * help button when they fit there, else in the column left of it, down to
 * the bottom margin.  Rows are 16 mm at the least, and beside the staff
 * corner they keep clear of it.
 */
static void stack(const struct frame *f, int y0, int n, int maxw, SDL_Rect *out)
{
    int above = free_bottom(f) - y0 - (n - 1) * f->gap;
    int x0 = y0 < f->corner.y + f->corner.h ? f->corner.x + f->corner.w + f->gap : f->m;
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

/*
 * r moved down below the staff corner if it reaches into it and there is
 * room above bottom (shortened, to 16 mm at the least), else narrowed about
 * its centre to keep clear of it.
 */
static SDL_Rect clear_of_corner(const struct frame *f, SDL_Rect r, int bottom)
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

/* n equal cells across r, gap apart. */
static SDL_Rect cell(SDL_Rect r, int n, int i, int gap)
{
    int w = (r.w - (n - 1) * gap) / n;
    SDL_Rect c = { r.x + i * (w + gap), r.y, w, r.h };
    return c;
}

/* The largest font from f down whose wrapped text is at most h tall in width w. */
static enum ui_font font_for(const struct ui *ui, enum ui_font f, int w, int h, const char *text)
{
    while (f > FONT_SMALL && ui_text_height(ui, f, w, text) > h)
        f--;
    return f;
}

/* One font for a group of buttons of r's size: the largest in which every label fits. */
static enum ui_font group_font(const struct ui *ui, SDL_Rect r, const char *const *labels, int n)
{
    enum ui_font f = FONT_BUTTON;

    for (int i = 0; i < n; i++)
        if (labels[i])
            f = ui_button_font(ui, r, f, labels[i]);
    return f;
}

/* Adds a named touch target to out (of max) at *n, if there is room. */
static void target(struct screen_target *out, int max, int *n, const char *name, SDL_Rect r)
{
    if (*n < max)
        out[(*n)++] = (struct screen_target){ name, r };
}

/* ---- text blocks ---------------------------------------------------------------- */

/* A line (or paragraph) of a block of text. */
struct line {
    enum ui_font font;
    bool soft;                  /* in text_soft rather than text */
    const char *text;
};

static int lines_height(const struct ui *ui, const struct line *l, int n, int w, int gap)
{
    int h = 0;

    for (int i = 0; i < n; i++)
        h += (i ? gap : 0) + ui_text_height(ui, l[i].font, w, l[i].text);
    return h;
}

/* Draws the lines centred in [x, x + w] from y down. */
static void lines_draw(struct ui *ui, const struct line *l, int n, int x, int y, int w, int gap)
{
    const struct theme *t = ui->theme;

    for (int i = 0; i < n; i++)
        y += ui_text(ui, l[i].font, x, y, w, ALIGN_CENTER, l[i].soft ? t->text_soft : t->text,
                     l[i].text) + gap;
}

#define BLOCK_LINES 4

/* Sets the largest line one size smaller (HUGE to TITLE to BODY). False when all are BODY. */
static bool shrink(struct line *l, int n)
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

/*
 * A screen of text alone: up to BLOCK_LINES lines centred in the free space
 * below the banner and above the help button.  On a small screen with the
 * banner up, the largest lines are set smaller until they fit; failing that
 * they use the column left of the help button down to the bottom margin,
 * unless the screen keeps that corner for something else (low_left false).
 */
static void block(struct ui *ui, const struct frame *f, const struct line *lines, int n,
                  bool low_left)
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
static void heading_fit(const struct ui *ui, const struct frame *f, const char *title,
                        const char *sub, int need, int bottom, struct heading *hd)
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

static void heading_draw(struct ui *ui, const struct frame *f, const struct heading *hd)
{
    lines_draw(ui, hd->l, hd->n, f->text_x, f->top, f->text_w, f->gap);
}

/* ---- drawing bits ----------------------------------------------------------------- */

#define DISC_STEPS 32

static void disc(SDL_Renderer *ren, float cx, float cy, float r, SDL_Color c)
{
    SDL_Vertex v[DISC_STEPS + 1];
    int idx[DISC_STEPS * 3];

    memset(v, 0, sizeof v);
    v[0].position.x = cx;
    v[0].position.y = cy;
    for (int i = 0; i < DISC_STEPS; i++) {
        double t = 2 * M_PI * i / DISC_STEPS;
        v[1 + i].position.x = cx + (float)(r * cos(t));
        v[1 + i].position.y = cy + (float)(r * sin(t));
        idx[3 * i] = 0;
        idx[3 * i + 1] = 1 + i;
        idx[3 * i + 2] = 1 + (i + 1) % DISC_STEPS;
    }
    for (int i = 0; i <= DISC_STEPS; i++)
        v[i].color = c;
    SDL_RenderGeometry(ren, NULL, v, DISC_STEPS + 1, idx, DISC_STEPS * 3);
}

/* A thick line with round ends. */
static void segment(SDL_Renderer *ren, SDL_FPoint a, SDL_FPoint b, float th, SDL_Color c)
{
    static const int idx[6] = { 0, 1, 2, 0, 2, 3 };
    float dx = b.x - a.x, dy = b.y - a.y, len = sqrtf(dx * dx + dy * dy);
    float nx = len > 0 ? -dy / len * th / 2 : 0, ny = len > 0 ? dx / len * th / 2 : 0;
    SDL_Vertex v[4];

    memset(v, 0, sizeof v);
    v[0].position = (SDL_FPoint){ a.x + nx, a.y + ny };
    v[1].position = (SDL_FPoint){ a.x - nx, a.y - ny };
    v[2].position = (SDL_FPoint){ b.x - nx, b.y - ny };
    v[3].position = (SDL_FPoint){ b.x + nx, b.y + ny };
    for (int i = 0; i < 4; i++)
        v[i].color = c;
    SDL_RenderGeometry(ren, NULL, v, 4, idx, 6);
    disc(ren, a.x, a.y, th / 2, c);
    disc(ren, b.x, b.y, th / 2, c);
}

static void polyline(SDL_Renderer *ren, const SDL_FPoint *p, int n, float th, SDL_Color c)
{
    for (int i = 0; i + 1 < n; i++)
        segment(ren, p[i], p[i + 1], th, c);
}

/* A square tick box in box: an outline, or filled with a check mark. */
static void tick_box(struct ui *ui, SDL_Rect box, bool on, SDL_Color fg, SDL_Color bg)
{
    int th = imax(2, box.w / 10);
    SDL_Rect inner = { box.x + th, box.y + th, box.w - 2 * th, box.h - 2 * th };
    SDL_FPoint mark[3] = {
        { box.x + box.w * 0.22f, box.y + box.h * 0.52f },
        { box.x + box.w * 0.42f, box.y + box.h * 0.72f },
        { box.x + box.w * 0.78f, box.y + box.h * 0.30f },
    };

    ui_fill(ui, box, fg);
    if (!on) {
        ui_fill(ui, inner, bg);
        return;
    }
    polyline(ui->ren, mark, 3, (float)th * 1.6f, bg);
}

/* A check row's parts: the tick box and the label's box beside it. */
struct check_parts {
    SDL_Rect box;
    int tx, tw;
};

static struct check_parts check_parts(const struct ui *ui, SDL_Rect r)
{
    int box = imin(r.h * 5 / 10, ui_mm(ui, 14)), pad = (r.h - box) / 2;
    struct check_parts p = { { r.x + pad, r.y + pad, box, box }, 0, 0 };

    p.tx = p.box.x + box + pad;
    p.tw = r.x + r.w - pad - p.tx;
    return p;
}

/* The largest font from f down in which label fits the check row r. */
static enum ui_font check_font(const struct ui *ui, SDL_Rect r, enum ui_font f, const char *label)
{
    struct check_parts p = check_parts(ui, r);
    return font_for(ui, f, p.tw, r.h - ui_mm(ui, 2), label);
}

/* A wide button with a tick box at the left and its label (in font) beside it. */
static void check_row(struct ui *ui, SDL_Rect r, bool on, const char *label, enum ui_font font)
{
    const struct theme *t = ui->theme;
    struct check_parts p = check_parts(ui, r);
    int th = ui_text_height(ui, font, p.tw, label);

    ui_button(ui, r, t->button, t->button_text, font, "");
    tick_box(ui, p.box, on, t->button_text, t->button);
    ui_text(ui, font, p.tx, r.y + (r.h - th) / 2, p.tw, ALIGN_LEFT, t->button_text, label);
}

/*
 * A face for feeling 1 (very good) .. 5 (very bad): a ring, two eyes and a
 * mouth that curves from a smile to a frown.
 */
static void face(struct ui *ui, float cx, float cy, float r, int feeling, SDL_Color fg,
                 SDL_Color bg)
{
    float th = fmaxf(2.0f, r * 0.11f), k = (3 - feeling) * 0.15f * r;
    SDL_FPoint mouth[9];

    disc(ui->ren, cx, cy, r, fg);
    disc(ui->ren, cx, cy, r - th, bg);
    disc(ui->ren, cx - 0.35f * r, cy - 0.2f * r, 0.11f * r, fg);
    disc(ui->ren, cx + 0.35f * r, cy - 0.2f * r, 0.11f * r, fg);
    for (int i = 0; i < 9; i++) {
        float t = -1.0f + i / 4.0f;
        mouth[i].x = cx + t * 0.45f * r;
        mouth[i].y = cy + 0.32f * r + k * (1 - t * t) - k / 2;
    }
    polyline(ui->ren, mouth, 9, th, fg);
}

static void clock_text(int64_t ms, char *out, size_t outlen)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (!localtime_r(&t, &tm) || strftime(out, outlen, "%H:%M", &tm) == 0)
        snprintf(out, outlen, "--:--");
}

/* ---- idle: a calm welcome and the clock ------------------------------------------- */

/* ---- choosing the language: "English" / "Español", each in its own words --------------- */

#define LANGS 2
static const char *const lang_codes[LANGS] = { "en", "es" };
static const char *const lang_targets[LANGS] = { "lang-en", "lang-es" };

/* The language buttons: the bottom-left strip, split in two. */
static void lang_layout(const struct frame *f, SDL_Rect r[LANGS])
{
    for (int i = 0; i < LANGS; i++)
        r[i] = cell(bottom_left(f), LANGS, i, f->gap);
}

/* The language on screen shown inverted, the other as an ordinary button. */
static void lang_draw(const struct app *a, struct ui *ui, const struct frame *f)
{
    const struct theme *t = ui->theme;
    const char *labels[LANGS] = { str(a, STR_LANG_EN), str(a, STR_LANG_ES) };
    SDL_Rect r[LANGS];
    enum ui_font font;

    lang_layout(f, r);
    font = group_font(ui, r[0], labels, LANGS);
    for (int i = 0; i < LANGS; i++) {
        bool on = strcmp(a->lang, lang_codes[i]) == 0;
        ui_button(ui, r[i], on ? t->text : t->button, on ? t->bg : t->button_text, font, labels[i]);
    }
}

static int lang_targets_add(const struct frame *f, struct screen_target *out, int max, int n)
{
    SDL_Rect r[LANGS];

    lang_layout(f, r);
    for (int i = 0; i < LANGS; i++)
        target(out, max, &n, lang_targets[i], r[i]);
    return n;
}

/* True (and the language set) if (x, y) is on a language button. */
static bool lang_tap(struct app *a, const struct frame *f, int x, int y)
{
    SDL_Rect r[LANGS];

    lang_layout(f, r);
    for (int i = 0; i < LANGS; i++) {
        if (ui_hit(r[i], x, y)) {
            app_set_lang(a, lang_codes[i]);
            return true;
        }
    }
    return false;
}

static void idle_draw(const struct app *a, struct ui *ui, int64_t now)
{
    struct frame f = begin(a, ui);
    char clock[16];
    struct line l[3] = {
        { FONT_HUGE, false, clock },
        { FONT_TITLE, false, str(a, STR_IDLE_WELCOME) },
        { FONT_BODY, true, str(a, STR_IDLE_COMFORT) },
    };

    clock_text(now, clock, sizeof clock);
    block(ui, &f, l, 3, false);  /* the language buttons are bottom left */
    lang_draw(a, ui, &f);
}

static int idle_targets(const struct app *a, const struct ui *ui, struct screen_target *out,
                        int max)
{
    struct frame f = frame_of(a, ui);
    return lang_targets_add(&f, out, max, 0);
}

static void idle_tap(struct app *a, struct ui *ui, int x, int y, int64_t now)
{
    struct frame f = frame_of(a, ui);
    lang_tap(a, &f, x, y);
}

/* ---- intake without forms: a plain checklist ----------------------------------------------- */

/*
 * Shown only when the config names no forms for the intake (the questions
 * are in the forms screen below otherwise): the ticks are a reminder on
 * screen and go nowhere.
 */
static const enum str_id intake_items[INTAKE_ITEMS] = {
    STR_INTAKE_FASTED, STR_INTAKE_ESCORT, STR_INTAKE_MEDICINES,
};

/*
 * Two to a row from y0 down to the bottom margin, across the width (clear of
 * the staff corner as stack keeps it): the third is left of the help button.
 */
static void intake_grid(const struct frame *f, int y0, SDL_Rect rows[INTAKE_ITEMS])
{
    int x0 = y0 < f->corner.y + f->corner.h ? f->corner.x + f->corner.w + f->gap : f->m;
    int rh = imax(f->target, imin((f->h - f->m - y0 - f->gap) / 2, f->row_max));
    SDL_Rect across = { x0, y0, f->w - 2 * x0, rh };

    for (int i = 0; i < INTAKE_ITEMS; i++) {
        rows[i] = cell(across, 2, i % 2, f->gap);
        rows[i].y += (i / 2) * (rh + f->gap);
    }
}

/*
 * The rows one above the other, or, when three rows of 16 mm would run off
 * the bottom (a small screen under a tall offline banner: the heading gone,
 * there is still not room), two to a row in a grid: every check stays on
 * screen and 16 mm tall, and nothing has to scroll.
 */
static void intake_layout(const struct app *a, const struct ui *ui, const struct frame *f,
                          struct heading *hd, SDL_Rect rows[INTAKE_ITEMS])
{
    const char *title = str(a, STR_INTAKE_TITLE), *hint = str(a, STR_INTAKE_HINT);
    int need = INTAKE_ITEMS * f->target + (INTAKE_ITEMS - 1) * f->gap;
    SDL_Rect *last = &rows[INTAKE_ITEMS - 1];

    heading_fit(ui, f, title, hint, need, f->h - f->m, hd);
    stack(f, f->top + hd->h, INTAKE_ITEMS, f->w * 4 / 5, rows);
    if (last->y + last->h <= f->h - f->m)
        return;
    heading_fit(ui, f, title, hint, 2 * f->target + f->gap, f->h - f->m, hd);
    intake_grid(f, f->top + hd->h, rows);
}

static void intake_draw(const struct app *a, struct ui *ui, int64_t now)
{
    struct frame f = begin(a, ui);
    struct heading hd;
    SDL_Rect rows[INTAKE_ITEMS];

    enum ui_font font = FONT_BUTTON;

    local_sync(a);
    intake_layout(a, ui, &f, &hd, rows);
    heading_draw(ui, &f, &hd);
    for (int i = 0; i < INTAKE_ITEMS; i++)  /* one font for the three */
        font = check_font(ui, rows[i], font, str(a, intake_items[i]));
    for (int i = 0; i < INTAKE_ITEMS; i++)
        check_row(ui, rows[i], local.intake[i], str(a, intake_items[i]), font);
}

static int intake_targets(const struct app *a, const struct ui *ui, struct screen_target *out,
                          int max)
{
    static const char *const names[INTAKE_ITEMS] = { "check-1", "check-2", "check-3" };
    struct frame f = frame_of(a, ui);
    struct heading hd;
    SDL_Rect rows[INTAKE_ITEMS];
    int n = 0;

    intake_layout(a, ui, &f, &hd, rows);
    for (int i = 0; i < INTAKE_ITEMS; i++)
        target(out, max, &n, names[i], rows[i]);
    return n;
}

static void intake_tap(struct app *a, struct ui *ui, int x, int y, int64_t now)
{
    struct frame f = frame_of(a, ui);
    struct heading hd;
    SDL_Rect rows[INTAKE_ITEMS];

    local_sync(a);
    intake_layout(a, ui, &f, &hd, rows);
    for (int i = 0; i < INTAKE_ITEMS; i++) {
        if (ui_hit(rows[i], x, y)) {
            local.intake[i] = !local.intake[i];
            a->dirty = true;
        }
    }
}

/* ---- questionnaires: one question per screen ---------------------------------------------- */

/*
 * The forms of the phase (formrun.h), one screen at a time: the form's
 * intro (its title, what it asks, its attribution; Start, and the language),
 * each question with its answers as big buttons and "Question 3 of 9"
 * above it, the calm message after an answer a rule marks as a safety
 * concern, the review, and "thank you" when every form is sent.  Back and
 * Next (or Send, Continue) sit bottom left, level with the help button,
 * which stays where it always is.  A tap is an event for the app
 * (app_form_event), which journals it.
 */

struct form_layout {
    struct line l[4];            /* the text above the buttons */
    int nl;
    char progress[96];
    SDL_Rect opts[QN_OPTIONS_MAX];
    int nopts;
    SDL_Rect nav[3];             /* bottom left: see form_nav */
    int nnav;
    SDL_Rect main;               /* Start / Continue / Send: the main button, when there is one */
};

static enum qn_lang lang_of(const struct app *a)
{
    return qn_lang_of(a->lang);
}

/* The fewest rows n answers can take: one row of up to four, else two. */
static int option_rows_min(int n)
{
    return n <= 4 ? 1 : 2;
}

/*
 * n answer buttons from y0 down to above the help button: one column, two,
 * or (a small screen with a long question) all on the fewest rows; rows 16 mm
 * at the least.
 */
static void option_grid(const struct frame *f, int y0, int n, SDL_Rect *out)
{
    int bottom = free_bottom(f), x0 = y0 < f->corner.y + f->corner.h ? f->text_x : f->m;
    int choices[3] = { 1, 2, (n + option_rows_min(n) - 1) / option_rows_min(n) }, cols = 1, rows;

    for (int c = 0; c < 3; c++) {
        cols = choices[c];
        rows = (n + cols - 1) / cols;
        if (rows * f->target + (rows - 1) * f->gap <= bottom - y0)
            break;
    }
    rows = (n + cols - 1) / cols;
    int rh = imax(f->target, imin((bottom - y0 - (rows - 1) * f->gap) / rows, f->row_max));
    int w = cols == 1 ? imin(f->w * 4 / 5, f->w - 2 * x0) : f->w - 2 * x0;
    SDL_Rect across = { (f->w - w) / 2, y0, w, rh };

    for (int i = 0; i < n; i++) {
        out[i] = cell(across, cols, i % cols, f->gap);
        out[i].y += (i / cols) * (rh + f->gap);
    }
}

/*
 * Sets the lines' fonts so that they and need pixels fit from the top down
 * to bottom: the largest one size smaller at a time, down to body text, then
 * all in small text if even that is too tall.
 */
static int fit_lines(const struct ui *ui, const struct frame *f, struct line *l, int n, int need,
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

static void question_layout(const struct app *a, const struct ui *ui, const struct frame *f,
                            struct form_layout *lay)
{
    const struct qn_form *form = run_form(&a->run);
    const struct qn_item *it = &form->items[a->run.item];
    const struct qn_answers *ans = &a->run.ans[a->run.cur];
    char pos[16], count[16];
    int need, h;

    snprintf(pos, sizeof pos, "%d", qn_visible_position(form, ans, a->run.item));
    snprintf(count, sizeof count, "%d", qn_visible_count(form, ans));
    str_fill(lay->progress, sizeof lay->progress, str(a, STR_FORM_PROGRESS), pos, count);
    lay->nl = 0;
    lay->l[lay->nl++] = (struct line){ FONT_SMALL, true, lay->progress };
    if (qn_text(&form->stem, lang_of(a))[0])
        lay->l[lay->nl++] = (struct line){ FONT_BODY, true, qn_text(&form->stem, lang_of(a)) };
    lay->l[lay->nl++] = (struct line){ FONT_TITLE, false, qn_text(&it->text, lang_of(a)) };
    lay->nopts = it->nopts;
    need = option_rows_min(it->nopts) * (f->target + f->gap) - f->gap;
    h = fit_lines(ui, f, lay->l, lay->nl, need, free_bottom(f));
    if (f->top + h + f->gap + need > free_bottom(f) && lay->nl == 3) {
        lay->l[1] = lay->l[2];  /* no room: the stem goes (the intro said it) */
        lay->l[1].font = FONT_TITLE;
        lay->nl = 2;
        h = fit_lines(ui, f, lay->l, lay->nl, need, free_bottom(f));
    }
    option_grid(f, f->top + h + f->gap, lay->nopts, lay->opts);
    lay->nnav = 2;  /* Back, Next */
    for (int i = 0; i < 2; i++)
        lay->nav[i] = cell(bottom_left(f), 2, i, f->gap);
}

/* A block of text lines and one main button under them, above the help button. */
static void text_and_button(const struct ui *ui, const struct frame *f, struct form_layout *lay)
{
    int h = fit_lines(ui, f, lay->l, lay->nl, f->target, free_bottom(f));
    int bw = imax(f->w * 2 / 5, ui_mm(ui, 60)), bh = imax(f->target, f->h / 7);
    int y = imin(f->top + h + 2 * f->gap, free_bottom(f) - f->target);

    lay->main = (SDL_Rect){ (f->w - bw) / 2, y, bw, imin(bh, free_bottom(f) - y) };
}

static void intro_layout(const struct app *a, const struct ui *ui, const struct frame *f,
                         struct form_layout *lay)
{
    const struct qn_form *form = run_form(&a->run);

    lay->nl = 0;
    lay->l[lay->nl++] = (struct line){ FONT_TITLE, false, qn_text(&form->title, lang_of(a)) };
    if (qn_text(&form->intro, lang_of(a))[0])
        lay->l[lay->nl++] = (struct line){ FONT_BODY, false, qn_text(&form->intro, lang_of(a)) };
    if (qn_text(&form->attribution, lang_of(a))[0])
        lay->l[lay->nl++] = (struct line){ FONT_SMALL, true, qn_text(&form->attribution, lang_of(a)) };
    text_and_button(ui, f, lay);
    lay->nnav = LANGS;
    lang_layout(f, lay->nav);
}

static void message_layout(const struct app *a, const struct ui *ui, const struct frame *f,
                           struct form_layout *lay)
{
    lay->nl = 0;
    lay->l[lay->nl++] = (struct line){ FONT_TITLE, false, str(a, STR_FORM_MESSAGE_TITLE) };
    lay->l[lay->nl++] = (struct line){ FONT_BODY, false, str(a, STR_FORM_MESSAGE_BODY) };
    if (a->forms && qn_text(&a->forms->crisis, lang_of(a))[0])
        lay->l[lay->nl++] = (struct line){ FONT_BODY, true, qn_text(&a->forms->crisis, lang_of(a)) };
    lay->nnav = 1;  /* Continue */
    lay->nav[0] = cell(bottom_left(f), 2, 1, f->gap);
    lay->main = (SDL_Rect){ 0, 0, 0, 0 };
    fit_lines(ui, f, lay->l, lay->nl, 0, free_bottom(f));
}

/* The height of one review row (review_rows). */
static int review_row_h(const struct ui *ui, const struct frame *f)
{
    return ui_text_height(ui, FONT_SMALL, 0, "Ay") + f->gap / 3;
}

/* How many answers the review lists. */
static int review_count(const struct app *a)
{
    const struct qn_form *form = run_form(&a->run);
    const struct qn_answers *ans = &a->run.ans[a->run.cur];
    int n = 0;

    for (int i = 0; i < form->nitems; i++)
        n += qn_item_visible(form, ans, i) && ans->opt[i] >= 0;
    return n;
}

/* The heading as large as leaves room for the rows in two columns at the least. */
static void review_layout(const struct app *a, const struct ui *ui, const struct frame *f,
                          struct form_layout *lay)
{
    int need = (review_count(a) + 1) / 2 * review_row_h(ui, f), h;

    lay->nl = 0;
    lay->l[lay->nl++] = (struct line){ FONT_TITLE, false, str(a, STR_FORM_REVIEW_TITLE) };
    lay->l[lay->nl++] = (struct line){ FONT_BODY, true, str(a, STR_FORM_REVIEW_HINT) };
    h = fit_lines(ui, f, lay->l, lay->nl, need, free_bottom(f));
    if (f->top + h + f->gap + need > free_bottom(f))
        lay->nl = 1;  /* no room for the hint: Back says it */
    lay->nnav = 2;  /* Back, Send */
    for (int i = 0; i < 2; i++)
        lay->nav[i] = cell(bottom_left(f), 2, i, f->gap);
}

static void form_layout(const struct app *a, const struct ui *ui, const struct frame *f,
                        struct form_layout *lay)
{
    memset(lay, 0, sizeof *lay);
    switch (a->run.view) {
    case RUN_INTRO: intro_layout(a, ui, f, lay); break;
    case RUN_QUESTION: question_layout(a, ui, f, lay); break;
    case RUN_MESSAGE: message_layout(a, ui, f, lay); break;
    case RUN_REVIEW: review_layout(a, ui, f, lay); break;
    default: break;
    }
}

/* text cut to fit w pixels in font f on one line, with "…" where it was cut, into out. */
static const char *one_line(const struct ui *ui, enum ui_font f, const char *text, int w, char *out,
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

/*
 * The review's rows, one line each: "3. Trouble falling or staying asl…"
 * and the answer beside it; in two columns of "3. Several days" when the
 * rows would not fit one under the other (a small screen).
 */
static void review_rows(const struct app *a, struct ui *ui, const struct frame *f, int y0)
{
    const struct qn_form *form = run_form(&a->run);
    const struct qn_answers *ans = &a->run.ans[a->run.cur];
    const struct theme *t = ui->theme;
    int row = review_row_h(ui, f), n = review_count(a), k = 0;
    int qw = f->text_w * 60 / 100, aw = f->text_w - qw - f->gap;
    char q[600], cut[600];
    bool two = n * row > free_bottom(f) - y0;
    int per = two ? (n + 1) / 2 : n, cw = two ? (f->text_w - f->gap) / 2 : f->text_w;

    for (int i = 0; i < form->nitems; i++) {
        const char *answer;
        if (!qn_item_visible(form, ans, i) || ans->opt[i] < 0)
            continue;
        answer = qn_text(&form->items[i].opts[ans->opt[i]].text, lang_of(a));
        if (two) {
            snprintf(q, sizeof q, "%d. %s", k + 1, answer);
            ui_text(ui, FONT_SMALL, f->text_x + (k / per) * (cw + f->gap), y0 + (k % per) * row,
                    cw, ALIGN_LEFT, t->text, one_line(ui, FONT_SMALL, q, cw, cut, sizeof cut));
        } else {
            snprintf(q, sizeof q, "%d. %s", k + 1, qn_text(&form->items[i].text, lang_of(a)));
            ui_text(ui, FONT_SMALL, f->text_x, y0 + k * row, qw, ALIGN_LEFT, t->text_soft,
                    one_line(ui, FONT_SMALL, q, qw, cut, sizeof cut));
            ui_text(ui, FONT_SMALL, f->text_x + qw + f->gap, y0 + k * row, aw, ALIGN_LEFT, t->text,
                    one_line(ui, FONT_SMALL, answer, aw, cut, sizeof cut));
        }
        k++;
    }
}

static const char *nav_label(const struct app *a, int i)
{
    switch (a->run.view) {
    case RUN_QUESTION: return str(a, i == 0 ? STR_FORM_BACK : STR_FORM_NEXT);
    case RUN_REVIEW: return str(a, i == 0 ? STR_FORM_BACK : STR_FORM_SEND);
    case RUN_MESSAGE: return str(a, STR_FORM_CONTINUE);
    case RUN_INTRO: return str(a, i == 0 ? STR_LANG_EN : STR_LANG_ES);
    default: return "";
    }
}

/* Next shows only once the question has an answer: nothing on screen that does nothing. */
static bool nav_shown(const struct app *a, int i)
{
    if (a->run.view == RUN_QUESTION && i == 1)
        return a->run.ans[a->run.cur].opt[a->run.item] >= 0;
    return true;
}

static void done_draw(const struct app *a, struct ui *ui, const struct frame *f)
{
    bool discharge = a->phase == PHASE_DISCHARGE;
    struct line l[2] = {
        { FONT_TITLE, false, str(a, discharge ? STR_DISCHARGE_TITLE : STR_FORM_DONE_TITLE) },
        { FONT_BODY, true, str(a, discharge ? STR_DISCHARGE_REVIEW : STR_FORM_DONE_BODY) },
    };
    block(ui, f, l, 2, true);
}

static void form_draw(const struct app *a, struct ui *ui, int64_t now)
{
    struct frame f = begin(a, ui);
    const struct theme *t = ui->theme;
    struct form_layout lay;
    const char *labels[QN_OPTIONS_MAX];
    enum ui_font font;
    int y;

    if (a->run.view == RUN_DONE || !run_form(&a->run)) {
        done_draw(a, ui, &f);
        return;
    }
    form_layout(a, ui, &f, &lay);
    if (a->run.view == RUN_MESSAGE) {  /* calm, in the middle; Continue bottom left */
        block(ui, &f, lay.l, lay.nl, false);
        ui_button(ui, lay.nav[0], t->coming, t->coming_text, FONT_BUTTON, nav_label(a, 0));
        return;
    }
    y = f.top;
    for (int i = 0; i < lay.nl; i++)
        y += ui_text(ui, lay.l[i].font, f.text_x, y, f.text_w, ALIGN_CENTER,
                     lay.l[i].soft ? t->text_soft : t->text, lay.l[i].text) + f.gap;
    if (a->run.view == RUN_QUESTION) {
        const struct qn_item *it = &run_form(&a->run)->items[a->run.item];
        int chosen = a->run.ans[a->run.cur].opt[a->run.item];
        for (int i = 0; i < lay.nopts; i++)
            labels[i] = qn_text(&it->opts[i].text, lang_of(a));
        font = group_font(ui, lay.opts[0], labels, lay.nopts);
        for (int i = 0; i < lay.nopts; i++)  /* the answer given is shown inverted */
            ui_button(ui, lay.opts[i], i == chosen ? t->text : t->button,
                      i == chosen ? t->bg : t->button_text, font, labels[i]);
    }
    if (a->run.view == RUN_REVIEW)
        review_rows(a, ui, &f, y);
    if (a->run.view == RUN_INTRO) {
        ui_button(ui, lay.main, t->coming, t->coming_text, FONT_BUTTON, str(a, STR_FORM_START));
        lang_draw(a, ui, &f);
        return;
    }
    for (int i = 0; i < lay.nnav; i++) {
        bool main_one = i == lay.nnav - 1;  /* Next / Send / Continue: the way on */
        if (nav_shown(a, i))
            ui_button(ui, lay.nav[i], main_one ? t->coming : t->button,
                      main_one ? t->coming_text : t->button_text, FONT_BUTTON, nav_label(a, i));
    }
}

static int form_targets(const struct app *a, const struct ui *ui, struct screen_target *out,
                        int max)
{
    static const char *const opt_names[QN_OPTIONS_MAX] = {
        "option-1", "option-2", "option-3", "option-4", "option-5", "option-6", "option-7", "option-8",
    };
    struct frame f = frame_of(a, ui);
    struct form_layout lay;
    int n = 0;

    if (a->run.view == RUN_DONE || !run_form(&a->run))
        return 0;
    form_layout(a, ui, &f, &lay);
    for (int i = 0; i < lay.nopts; i++)
        target(out, max, &n, opt_names[i], lay.opts[i]);
    switch (a->run.view) {
    case RUN_INTRO:
        target(out, max, &n, "start", lay.main);
        return lang_targets_add(&f, out, max, n);
    case RUN_QUESTION:
        target(out, max, &n, "back", lay.nav[0]);
        if (nav_shown(a, 1))
            target(out, max, &n, "next", lay.nav[1]);
        return n;
    case RUN_MESSAGE:
        target(out, max, &n, "continue", lay.nav[0]);
        return n;
    case RUN_REVIEW:
        target(out, max, &n, "back", lay.nav[0]);
        target(out, max, &n, "send", lay.nav[1]);
        return n;
    default:
        return n;
    }
}

static void form_event(struct app *a, enum run_ev_kind k, int64_t now)
{
    struct run_event ev = run_ev(k, a->run.cur);
    app_form_event(a, &ev, now);
}

static void form_tap(struct app *a, struct ui *ui, int x, int y, int64_t now)
{
    struct frame f = frame_of(a, ui);
    struct form_layout lay;
    struct run_event ev;

    if (a->run.view == RUN_DONE || !run_form(&a->run))
        return;
    form_layout(a, ui, &f, &lay);
    for (int i = 0; i < lay.nopts; i++)
        if (ui_hit(lay.opts[i], x, y) && run_ev_answer(&a->run, i, &ev) == 0) {
            app_form_event(a, &ev, now);
            return;
        }
    if (a->run.view == RUN_INTRO) {
        if (ui_hit(lay.main, x, y))
            form_event(a, EV_START, now);
        else
            lang_tap(a, &f, x, y);
        return;
    }
    for (int i = 0; i < lay.nnav; i++) {
        if (!ui_hit(lay.nav[i], x, y) || !nav_shown(a, i))
            continue;
        if (a->run.view == RUN_MESSAGE)
            form_event(a, EV_NEXT, now);
        else if (i == 0)
            form_event(a, EV_BACK, now);
        else
            form_event(a, a->run.view == RUN_REVIEW ? EV_SUBMIT : EV_NEXT, now);
        return;
    }
}

/* ---- infusion: dim and quiet ------------------------------------------------------------ */

static void elapsed_text(const struct app *a, int64_t now, char *out, size_t outlen)
{
    int64_t min = a->phase_since_ms > 0 && now > a->phase_since_ms
                      ? (now - a->phase_since_ms) / 60000 : 0;
    char h[24], m[24];

    snprintf(h, sizeof h, "%lld", (long long)(min / 60));
    snprintf(m, sizeof m, "%lld", (long long)(min % 60));
    if (min < 60)
        str_fill(out, outlen, str(a, STR_ELAPSED_MIN), m, NULL);
    else
        str_fill(out, outlen, str(a, STR_ELAPSED_HOURS), h, m);
}

/* ---- the sound controls (infusion and recovery) ---------------------------------------- */

/*
 * Bottom left, level with the help button: pause or play, next, quieter,
 * louder.  Above them, across the screen, one button per theme the staff
 * offer, the one playing shown inverted.  Every button is 16 mm at least
 * and none reaches the help button.  Without sound (none configured, or no
 * audio output) the corner only says so, as plain text; with the theme
 * "silence" chosen, or nothing playable, the themes stay (there is always a
 * way back to music) and the corner says the sound is off.
 */
enum sound_button { SND_TOGGLE, SND_NEXT, SND_QUIETER, SND_LOUDER, SND_COUNT };

struct sound_layout {
    bool controls;                      /* sound and an audio output: the buttons */
    bool music;                         /* something to pause or skip */
    int n_themes;
    SDL_Rect button[SND_COUNT];
    SDL_Rect theme[SOUND_THEMES_MAX];
    int top;                            /* the controls' top: text stays above it */
};

static void sound_layout(const struct app *a, const struct frame *f, struct sound_layout *L)
{
    SDL_Rect strip = bottom_left(f);

    memset(L, 0, sizeof *L);
    L->controls = sound_controls(a->sound);
    L->music = L->controls && sound_has_music(a->sound);
    L->n_themes = L->controls ? sound_theme_count(a->sound) : 0;
    L->top = f->help.y;
    for (int i = 0; i < SND_COUNT; i++)
        L->button[i] = cell(strip, SND_COUNT, i, f->gap);
    if (L->n_themes > 0) {
        int rh = f->target;
        int w = imin(f->w - 2 * f->m, L->n_themes * f->target * 4);
        SDL_Rect row = { (f->w - w) / 2, f->help.y - f->gap - rh, w, rh };
        for (int i = 0; i < L->n_themes; i++)
            L->theme[i] = cell(row, L->n_themes, i, f->gap);
        L->top = row.y;
    }
}

/* The word for theme t: the config's label, the kiosk's word for a name it knows, or the name. */
static const char *theme_label(const struct app *a, const struct sound_theme *t)
{
    static const struct {
        const char *name;
        enum str_id id;
    } known[] = {
        { "ambient", STR_THEME_AMBIENT }, { "calm", STR_THEME_AMBIENT },
        { "nature", STR_THEME_NATURE }, { "rain", STR_THEME_RAIN },
        { "silence", STR_THEME_SILENCE }, { "quiet", STR_THEME_SILENCE },
    };

    if (t->label[0])
        return t->label;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(t->name, known[i].name) == 0)
            return str(a, known[i].id);
    return t->name;
}

static void sound_labels(const struct app *a, const char *labels[SND_COUNT])
{
    labels[SND_TOGGLE] = str(a, sound_paused(a->sound) ? STR_SOUND_PLAY : STR_SOUND_PAUSE);
    labels[SND_NEXT] = str(a, STR_SOUND_NEXT);
    labels[SND_QUIETER] = str(a, STR_SOUND_QUIETER);
    labels[SND_LOUDER] = str(a, STR_SOUND_LOUDER);
}

/* "Sound / Off" as plain text in the corner: nothing that looks touchable and does nothing. */
static void sound_off_text(const struct app *a, struct ui *ui, const struct frame *f)
{
    SDL_Rect r = bottom_left(f);
    int h = ui_text_height(ui, FONT_SMALL, r.w, str(a, STR_SOUND)) +
            ui_text_height(ui, FONT_BODY, r.w, str(a, STR_SOUND_OFF));
    int y = r.y + (r.h - h) / 2;

    y += ui_text(ui, FONT_SMALL, r.x, y, r.w, ALIGN_LEFT, ui->theme->text_soft, str(a, STR_SOUND));
    ui_text(ui, FONT_BODY, r.x, y, r.w, ALIGN_LEFT, ui->theme->text_soft, str(a, STR_SOUND_OFF));
}

/*
 * The volume as a row of small bars along the bottom of the louder button:
 * one per step up to the ceiling, the ones below the volume filled.
 */
static void volume_meter(const struct app *a, struct ui *ui, const struct sound_layout *L,
                         SDL_Color on, SDL_Color off)
{
    int steps = sound_volume_max(a->sound) / SOUND_VOLUME_STEP, lit;
    SDL_Rect l = L->button[SND_LOUDER];
    int x0 = l.x + l.w / 8, x1 = l.x + l.w - l.w / 8, h = imax(3, l.h / 14);
    int y = l.y + l.h - 2 * h;

    if (steps <= 0)
        return;
    lit = sound_volume(a->sound) / SOUND_VOLUME_STEP;
    for (int i = 0; i < steps; i++) {
        int bx = x0 + (x1 - x0) * i / steps, bw = (x1 - x0) / steps - imax(2, h / 2);
        SDL_Rect bar = { bx, y, bw, h };
        ui_fill(ui, bar, i < lit ? on : off);
    }
}

static void sound_draw(const struct app *a, struct ui *ui, const struct frame *f,
                       const struct sound_layout *L)
{
    const struct theme *t = ui->theme;
    const char *labels[SND_COUNT], *names[SOUND_THEMES_MAX];
    int chosen = sound_theme_current(a->sound);
    enum ui_font font;

    if (!L->controls || !L->music)
        sound_off_text(a, ui, f);
    if (!L->controls)
        return;
    for (int i = 0; i < L->n_themes; i++)
        names[i] = theme_label(a, sound_theme_at(a->sound, i));
    font = group_font(ui, L->theme[0], names, L->n_themes);
    for (int i = 0; i < L->n_themes; i++)
        ui_button(ui, L->theme[i], i == chosen ? t->text : t->button,
                  i == chosen ? t->bg : t->button_text, font, names[i]);
    if (!L->music)
        return;
    sound_labels(a, labels);
    font = group_font(ui, L->button[0], labels, SND_COUNT);
    for (int i = 0; i < SND_COUNT; i++)
        ui_button(ui, L->button[i], t->button, t->button_text, font, labels[i]);
    volume_meter(a, ui, L, t->button_text, t->bg);
}

static int sound_targets(const struct app *a, const struct ui *ui, struct screen_target *out,
                         int max)
{
    static const char *const buttons[SND_COUNT] = {
        "sound-toggle", "sound-next", "sound-quieter", "sound-louder",
    };
    static const char *const themes[SOUND_THEMES_MAX] = { "theme-1", "theme-2", "theme-3",
                                                          "theme-4" };
    struct frame f = frame_of(a, ui);
    struct sound_layout L;
    int n = 0;

    sound_layout(a, &f, &L);
    for (int i = 0; i < L.n_themes; i++)
        target(out, max, &n, themes[i], L.theme[i]);
    for (int i = 0; L.music && i < SND_COUNT; i++)
        target(out, max, &n, buttons[i], L.button[i]);
    return n;
}

static void sound_tap(struct app *a, struct ui *ui, int x, int y, int64_t now)
{
    struct frame f = frame_of(a, ui);
    struct sound_layout L;

    sound_layout(a, &f, &L);
    for (int i = 0; i < L.n_themes; i++)
        if (ui_hit(L.theme[i], x, y))
            sound_pick_theme(a->sound, i, now);
    for (int i = 0; L.music && i < SND_COUNT; i++) {
        if (!ui_hit(L.button[i], x, y))
            continue;
        if (i == SND_TOGGLE)
            sound_toggle_pause(a->sound, now);
        else if (i == SND_NEXT)
            sound_next(a->sound, now);
        else
            sound_change_volume(a->sound, i == SND_LOUDER ? 1 : -1, now);
    }
    a->dirty = true;
}

/*
 * A phase screen with the sound controls: its lines centred above them (the
 * frame's bottom moved up to the themes' row), the controls below.  Without
 * sound, low_left says whether the text may use the corner left of the help
 * button (recovery) or it keeps it for "Sound: Off" (infusion).
 */
/*
 * How many of the lines fit above f's bottom, the largest set smaller as
 * block() does: on a small screen the last lines go (the infusion's minutes)
 * rather than being hidden behind the controls.
 */
static int lines_that_fit(const struct ui *ui, const struct frame *f, const struct line *l, int n)
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

static void with_sound(const struct app *a, struct ui *ui, const struct frame *f,
                       const struct line *l, int n, bool low_left)
{
    struct sound_layout L;
    struct frame above = *f;

    sound_layout(a, f, &L);
    if (!L.controls && low_left) {
        block(ui, f, l, n, true);
        return;
    }
    above.help.y = L.top;
    block(ui, &above, l, lines_that_fit(ui, &above, l, n), false);
    sound_draw(a, ui, f, &L);
}

static void infusion_draw(const struct app *a, struct ui *ui, int64_t now)
{
    struct frame f = begin(a, ui);
    char elapsed[64];
    struct line l[3] = {
        { FONT_TITLE, false, str(a, STR_INFUSION_REST) },
        { FONT_BODY, false, str(a, STR_INFUSION_RUNNING) },
        { FONT_TITLE, true, elapsed },
    };

    elapsed_text(a, now, elapsed, sizeof elapsed);
    with_sound(a, ui, &f, l, 3, false);
}

/* ---- recovery: the observation countdown ---------------------------------------------- */

static void rest_left_text(const struct app *a, int64_t now, char *out, size_t outlen)
{
    int64_t left = a->phase_since_ms + a->cfg->recovery_ms - now;
    char n[24];

    if (left <= 0) {
        str_fill(out, outlen, str(a, STR_RECOVERY_OVER), NULL, NULL);
    } else if (left <= 60000) {
        str_fill(out, outlen, str(a, STR_RECOVERY_LEFT_ONE), NULL, NULL);
    } else {
        snprintf(n, sizeof n, "%lld", (long long)((left + 59999) / 60000));
        str_fill(out, outlen, str(a, STR_RECOVERY_LEFT), n, NULL);
    }
}

static void recovery_draw(const struct app *a, struct ui *ui, int64_t now)
{
    struct frame f = begin(a, ui);
    char left[256];
    struct line l[2] = {
        { FONT_TITLE, false, str(a, STR_RECOVERY_TITLE) },
        { FONT_BODY, true, left },
    };

    rest_left_text(a, now, left, sizeof left);
    with_sound(a, ui, &f, l, 2, true);
}

/* ---- discharge: the escort ---------------------------------------------------------------- */

static SDL_Rect discharge_layout(const struct app *a, const struct ui *ui, const struct frame *f,
                                 struct heading *hd)
{
    SDL_Rect row;

    heading_fit(ui, f, str(a, STR_DISCHARGE_TITLE), str(a, STR_DISCHARGE_REVIEW),
                f->target + f->gap, f->h - f->m, hd);
    stack(f, f->top + hd->h + f->gap, 1, imax(f->w * 3 / 5, ui_mm(ui, 100)), &row);
    return row;
}

static void discharge_draw(const struct app *a, struct ui *ui, int64_t now)
{
    struct frame f = begin(a, ui);
    struct heading hd;
    SDL_Rect row = discharge_layout(a, ui, &f, &hd);

    local_sync(a);
    heading_draw(ui, &f, &hd);
    check_row(ui, row, local.escort, str(a, STR_DISCHARGE_ESCORT),
              check_font(ui, row, FONT_BUTTON, str(a, STR_DISCHARGE_ESCORT)));
}

static int discharge_targets(const struct app *a, const struct ui *ui, struct screen_target *out,
                             int max)
{
    struct frame f = frame_of(a, ui);
    struct heading hd;
    int n = 0;

    target(out, max, &n, "escort", discharge_layout(a, ui, &f, &hd));
    return n;
}

static void discharge_tap(struct app *a, struct ui *ui, int x, int y, int64_t now)
{
    struct frame f = frame_of(a, ui);
    struct heading hd;

    local_sync(a);
    if (ui_hit(discharge_layout(a, ui, &f, &hd), x, y)) {
        local.escort = !local.escort;
        a->dirty = true;
    }
}

/* ---- check-in: "How are you feeling?" ----------------------------------------------------- */

static const enum str_id feelings[FACES] = {
    STR_FEEL_VERY_GOOD, STR_FEEL_GOOD, STR_FEEL_OK, STR_FEEL_NOT_GOOD, STR_FEEL_VERY_BAD,
};

struct checkin_layout {
    struct heading hd;
    SDL_Rect faces[FACES];   /* feeling i + 1 */
    SDL_Rect someone;        /* "I'd like someone to come" */
};

/* The question, the five faces in a row above the help button, "someone" beside the help button. */
static void checkin_layout(const struct app *a, const struct ui *ui, const struct frame *f,
                           struct checkin_layout *l)
{
    SDL_Rect row;
    int y0, room;

    heading_fit(ui, f, str(a, STR_CHECKIN_TITLE), NULL, f->target, free_bottom(f), &l->hd);
    y0 = f->top + l->hd.h;
    room = free_bottom(f) - y0;
    row.x = f->m;
    row.w = f->w - 2 * f->m;
    row.h = imax(f->target, imin(room, imax(f->target * 5 / 2, f->h * 3 / 10)));
    row.y = y0 + imax(0, (room - row.h) / 3);
    row = clear_of_corner(f, row, free_bottom(f));
    for (int i = 0; i < FACES; i++)
        l->faces[i] = cell(row, FACES, i, f->gap);
    l->someone = bottom_left(f);
}

/* One font for the five labels: the largest in which each takes at most a third of the button. */
static enum ui_font face_font(const struct app *a, const struct ui *ui, int w, int h)
{
    enum ui_font font = FONT_BUTTON;

    for (int i = 0; i < FACES; i++)
        font = font_for(ui, font, w, h, str(a, feelings[i]));
    return font;
}

/* The tallest of the five labels, so that the faces above them are all one size. */
static int face_label_height(const struct app *a, const struct ui *ui, int w, enum ui_font font)
{
    int h = 0;

    for (int i = 0; i < FACES; i++)
        h = imax(h, ui_text_height(ui, font, w, str(a, feelings[i])));
    return h;
}

static void face_button(const struct app *a, struct ui *ui, SDL_Rect r, int i, enum ui_font font,
                        int label_h)
{
    const struct theme *t = ui->theme;
    int pad = ui_mm(ui, 2), lw = r.w - 2 * pad;
    int lh = ui_text_height(ui, font, lw, str(a, feelings[i]));
    float room = (float)(r.h - label_h - 3 * pad), rad = fminf(room, r.w - 2.0f * pad) * 0.42f;

    ui_button(ui, r, t->button, t->button_text, font, "");
    if (rad > ui_mm(ui, 3))
        face(ui, r.x + r.w / 2.0f, r.y + pad + room / 2, rad, i + 1, t->button_text, t->button);
    ui_text(ui, font, r.x + pad, r.y + r.h - pad - lh, lw, ALIGN_CENTER, t->button_text,
            str(a, feelings[i]));
}

static void thanks_draw(const struct app *a, struct ui *ui, const struct frame *f)
{
    struct line l = { FONT_TITLE, false, str(a, STR_CHECKIN_THANKS) };
    block(ui, f, &l, 1, false);  /* "someone" may have been there a moment ago */
}

static void checkin_draw(const struct app *a, struct ui *ui, int64_t now)
{
    struct frame f = begin(a, ui);
    const struct theme *t = ui->theme;
    struct checkin_layout l;
    enum ui_font font;
    int lw, lh;

    if (a->checkin != CHECKIN_PROMPT) {  /* the thank-you, until the app takes it away */
        thanks_draw(a, ui, &f);
        return;
    }
    checkin_layout(a, ui, &f, &l);
    heading_draw(ui, &f, &l.hd);
    lw = l.faces[0].w - 2 * ui_mm(ui, 2);
    font = face_font(a, ui, lw, l.faces[0].h / 3);
    lh = face_label_height(a, ui, lw, font);
    for (int i = 0; i < FACES; i++)
        face_button(a, ui, l.faces[i], i, font, lh);
    ui_button(ui, l.someone, t->button, t->button_text, FONT_BUTTON, str(a, STR_CHECKIN_SOMEONE));
}

/* The faces and "someone" while the question is up; nothing on the thank-you. */
static int checkin_targets(const struct app *a, const struct ui *ui, struct screen_target *out,
                           int max)
{
    static const char *const names[FACES] = {
        "feeling-1", "feeling-2", "feeling-3", "feeling-4", "feeling-5",
    };
    struct frame f = frame_of(a, ui);
    struct checkin_layout l;
    int n = 0;

    if (a->checkin != CHECKIN_PROMPT)
        return 0;
    checkin_layout(a, ui, &f, &l);
    for (int i = 0; i < FACES; i++)
        target(out, max, &n, names[i], l.faces[i]);
    target(out, max, &n, "someone", l.someone);
    return n;
}

static void checkin_tap(struct app *a, struct ui *ui, int x, int y, int64_t now)
{
    struct frame f = frame_of(a, ui);
    struct checkin_layout l;

    if (a->checkin != CHECKIN_PROMPT)
        return;
    checkin_layout(a, ui, &f, &l);
    for (int i = 0; i < FACES; i++) {
        if (ui_hit(l.faces[i], x, y)) {
            app_checkin_answer(a, i + 1, false, now);
            return;
        }
    }
    /* Asking for someone is an answer in itself: no face needed (feeling 0: not said). */
    if (ui_hit(l.someone, x, y))
        app_checkin_answer(a, 0, true, now);
}

/* ---- the staff PIN pad ---------------------------------------------------------------------- */

#define PIN_KEYS 12

static const char *const pin_labels[PIN_KEYS] = {
    "1", "2", "3", "4", "5", "6", "7", "8", "9", NULL /* Cancel */, "0", NULL /* OK */,
};

/* The 3 x 4 keys, left of the help button's column and right of the staff corner. */
static void pin_layout(const struct frame *f, SDL_Rect keys[PIN_KEYS])
{
    int x0 = f->corner.x + f->corner.w + f->gap, x1 = f->help.x - f->gap;
    int kh = imax(f->target, imin((f->h - 2 * f->m - 3 * f->gap) / 4, imax(f->target, f->h / 6)));
    int kw = imax(f->target, imin((x1 - x0 - 2 * f->gap) / 3, kh * 8 / 5));
    int px = x0 + (x1 - x0 - (3 * kw + 2 * f->gap)) / 2;
    int py = (f->h - (4 * kh + 3 * f->gap)) / 2;

    for (int i = 0; i < PIN_KEYS; i++) {
        SDL_Rect r = { px + (i % 3) * (kw + f->gap), py + (i / 3) * (kh + f->gap), kw, kh };
        keys[i] = r;
    }
}

/* Title, the typed digits as dots, and "Wrong PIN": above the help button, right of the keys. */
static void pin_side(const struct app *a, struct ui *ui, const struct frame *f, int64_t now)
{
    const struct theme *t = ui->theme;
    int x = f->help.x, w = f->w - f->m - x, y = f->m;
    float d = fminf((float)ui_mm(ui, 2.5), w / (3.0f * (sizeof a->staff.pin - 1)));  /* 8 fit */

    y += ui_text(ui, FONT_TITLE, x, y, w, ALIGN_LEFT, t->text, str(a, STR_PIN_TITLE)) + f->gap;
    for (int i = 0; i < a->staff.pin_len; i++)
        disc(ui->ren, x + d + i * d * 3, y + d, d, t->text);
    y += (int)(2 * d) + f->gap;
    if (pin_lock_locked(&a->staff.lock, now)) {  /* too many wrong PINs: until when */
        char at[16], text[256];
        clock_text(a->staff.lock.until_ms + 59999, at, sizeof at);  /* the minute after */
        str_fill(text, sizeof text, str(a, STR_PIN_LOCKED), at, NULL);
        ui_text(ui, FONT_BODY, x, y, w, ALIGN_LEFT, t->text, text);
    } else if (a->staff.pin_len == 0 && a->staff.wrong_ms &&
               now - a->staff.wrong_ms < PIN_WRONG_SHOWN_MS) {
        ui_text(ui, FONT_BODY, x, y, w, ALIGN_LEFT, t->text, str(a, STR_PIN_WRONG));
    }
}

static void pin_draw(const struct app *a, struct ui *ui, int64_t now)
{
    struct frame f = begin(a, ui);
    const struct theme *t = ui->theme;
    SDL_Rect keys[PIN_KEYS];
    const char *words[2] = { str(a, STR_PIN_CANCEL), str(a, STR_PIN_OK) };
    enum ui_font font;

    pin_layout(&f, keys);
    font = group_font(ui, keys[9], words, 2);
    for (int i = 0; i < PIN_KEYS; i++) {
        if (pin_labels[i])
            ui_button(ui, keys[i], t->button, t->button_text, FONT_TITLE, pin_labels[i]);
        else if (i == 9)
            ui_button(ui, keys[i], t->button, t->button_text, font, words[0]);
        else
            ui_button(ui, keys[i], t->coming, t->coming_text, font, words[1]);
    }
    pin_side(a, ui, &f, now);
}

static void pin_clear(struct app *a)
{
    memset(a->staff.pin, 0, sizeof a->staff.pin);
    a->staff.pin_len = 0;
}

static void pin_enter(struct app *a, int64_t now)
{
    a->staff.wrong_ms = 0;
}

/* OK: the PIN goes to be checked (main.c, off this thread); app_pin_checked opens the menu. */
static void pin_submit(struct app *a, int64_t now)
{
    if (a->staff.pin_len > 0)
        app_pin_begin(a, a->staff.pin, now);
    pin_clear(a);
}

static void pin_key(struct app *a, int i, int64_t now)
{
    if (pin_labels[i]) {
        if (a->staff.pin_len < (int)sizeof a->staff.pin - 1) {
            a->staff.pin[a->staff.pin_len++] = pin_labels[i][0];
            a->staff.pin[a->staff.pin_len] = '\0';
        }
        a->staff.wrong_ms = 0;
    } else if (i == 9) {
        pin_clear(a);
        a->staff.wrong_ms = 0;
        a->staff.pin_open = false;
    } else {
        pin_submit(a, now);
    }
    a->dirty = true;
}

/* "pin-" and the key's label: pin-0 .. pin-9, pin-cancel, pin-ok. */
static int pin_targets(const struct app *a, const struct ui *ui, struct screen_target *out,
                       int max)
{
    static const char *const names[PIN_KEYS] = {
        "pin-1", "pin-2", "pin-3", "pin-4", "pin-5", "pin-6",
        "pin-7", "pin-8", "pin-9", "pin-cancel", "pin-0", "pin-ok",
    };
    struct frame f = frame_of(a, ui);
    SDL_Rect keys[PIN_KEYS];
    int n = 0;

    pin_layout(&f, keys);
    for (int i = 0; i < PIN_KEYS; i++)
        target(out, max, &n, names[i], keys[i]);
    return n;
}

static void pin_tap(struct app *a, struct ui *ui, int x, int y, int64_t now)
{
    struct frame f = frame_of(a, ui);
    SDL_Rect keys[PIN_KEYS];

    pin_layout(&f, keys);
    for (int i = 0; i < PIN_KEYS; i++)
        if (ui_hit(keys[i], x, y))
            pin_key(a, i, now);
}

/* ---- the staff menu ---------------------------------------------------------------------------- */

enum staff_button {
    SB_VISIT,                         /* Begin visit, or End visit during one */
    SB_CLEAR,                         /* only while a call is open */
    SB_CLOSE,
    SB_INTAKE, SB_INFUSION, SB_RECOVERY, SB_DISCHARGE,
    SB_COUNT
};

/* The header: the visit and its phase, the link to the broker, what waits in the outbox,
 * and why there is no sound when there should be. */
struct staff_head {
    char visit[160], link[160], pending[64], sound[256];
};

static void staff_sound_text(const struct app *a, char *out, size_t outlen)
{
    const char *list;

    switch (sound_problem(a->sound, &list)) {
    case SOUND_NO_DEVICE:
        str_fill(out, outlen, str(a, STR_STAFF_SOUND_NO_DEVICE), NULL, NULL);
        break;
    case SOUND_NO_FILES:
        str_fill(out, outlen, str(a, STR_STAFF_SOUND_NO_FILES), list, NULL);
        break;
    default:
        out[0] = '\0';
        break;
    }
}

static void staff_head_text(const struct app *a, struct staff_head *h)
{
    char n[16];

    if (a->visit[0])
        str_fill(h->visit, sizeof h->visit, str(a, STR_STAFF_VISIT), a->visit,
                 str(a, (enum str_id)(STR_PHASE_IDLE + a->phase)));
    else
        str_fill(h->visit, sizeof h->visit, str(a, STR_STAFF_NO_VISIT), NULL, NULL);
    clock_text(a->disconnected_since_ms, n, sizeof n);
    str_fill(h->link, sizeof h->link,
             str(a, a->connected ? STR_STAFF_CONNECTED : STR_STAFF_NOT_CONNECTED), n, NULL);
    snprintf(n, sizeof n, "%d", a->pending);
    str_fill(h->pending, sizeof h->pending,
             a->pending <= 0 ? "" : str(a, a->pending == 1 ? STR_STAFF_PENDING_ONE
                                                           : STR_STAFF_PENDING), n, NULL);
    staff_sound_text(a, h->sound, sizeof h->sound);
}

/*
 * The header as lines beside the staff corner; returns how many.  In small
 * text when it would leave too little room for the buttons (three rows).
 */
static int staff_head_lines(const struct ui *ui, const struct frame *f,
                            const struct staff_head *h, struct line l[4])
{
    int w = f->w - f->m - f->text_x, one = ui_text_height(ui, FONT_BODY, 0, h->link);
    int n = 2;

    l[0] = (struct line){ FONT_BODY, false, h->visit };
    l[1] = (struct line){ font_for(ui, FONT_BODY, w, one, h->link), true, h->link };
    if (h->pending[0])
        l[n++] = (struct line){ FONT_SMALL, true, h->pending };
    if (h->sound[0])
        l[n++] = (struct line){ FONT_SMALL, true, h->sound };
    if (lines_height(ui, l, n, w, 0) > f->h - 2 * f->m - 3 * (f->target + f->gap))
        l[0].font = l[1].font = FONT_SMALL;
    return n;
}

/* A row of buttons at y: across the screen, or left of the help button when level with it. */
static SDL_Rect staff_row(const struct frame *f, int y, int h)
{
    SDL_Rect r = { f->m, y, f->w - 2 * f->m, h };

    if (y + h > free_bottom(f))
        r.w = f->help.x - f->gap - f->m;
    return r;
}

/* True if every phase button's label fits it in body text. */
static bool phases_fit(const struct app *a, const struct ui *ui, const SDL_Rect b[SB_COUNT])
{
    for (int p = PHASE_INTAKE; p <= PHASE_DISCHARGE; p++) {
        const char *label = str(a, (enum str_id)(STR_PHASE_IDLE + p));
        if (ui_button_font(ui, b[SB_INTAKE + p - PHASE_INTAKE], FONT_BODY, label) != FONT_BODY)
            return false;
    }
    return true;
}

/*
 * Under the header, three buttons on a row (visit, clear, close), then the
 * four phases on one row, or on two rows of two when they would be too
 * narrow for their names (a small screen).
 */
static void staff_layout(const struct app *a, const struct ui *ui, const struct frame *f,
                         SDL_Rect b[SB_COUNT])
{
    struct staff_head hd;
    struct line l[4];
    int n, y0;

    staff_head_text(a, &hd);
    n = staff_head_lines(ui, f, &hd, l);
    y0 = imax(f->m + lines_height(ui, l, n, f->w - f->m - f->text_x, 0),
              f->corner.y + f->corner.h) + f->gap;
    for (int rows = 2; rows <= 3; rows++) {
        int cols = rows == 2 ? 4 : 2;
        int rh = imax(f->target, imin((free_bottom(f) - y0 - (rows - 1) * f->gap) / rows,
                                      f->row_max));
        for (int i = 0; i < 3; i++)
            b[SB_VISIT + i] = cell(staff_row(f, y0, rh), 3, i, f->gap);
        for (int i = 0; i < 4; i++)
            b[SB_INTAKE + i] = cell(staff_row(f, y0 + (1 + i / cols) * (rh + f->gap), rh), cols,
                                    i % cols, f->gap);
        if (phases_fit(a, ui, b))
            return;
    }
}

static void staff_header(const struct app *a, struct ui *ui, const struct frame *f)
{
    const struct theme *t = ui->theme;
    struct staff_head hd;
    struct line l[4];
    int n, x = f->text_x, w = f->w - f->m - x, y = f->m;

    staff_head_text(a, &hd);
    n = staff_head_lines(ui, f, &hd, l);
    for (int i = 0; i < n; i++)
        y += ui_text(ui, l[i].font, x, y, w, ALIGN_LEFT, l[i].soft ? t->text_soft : t->text,
                     l[i].text);
}

/* The buttons' labels ("" for one not shown now). */
static void staff_labels(const struct app *a, const char *labels[SB_COUNT])
{
    labels[SB_VISIT] = str(a, a->visit[0] ? STR_STAFF_END : STR_STAFF_BEGIN);
    labels[SB_CLEAR] = a->call != CALL_UI_NONE ? str(a, STR_STAFF_CLEAR) : "";
    labels[SB_CLOSE] = str(a, STR_STAFF_CLOSE);
    for (int p = PHASE_INTAKE; p <= PHASE_DISCHARGE; p++)
        labels[SB_INTAKE + p - PHASE_INTAKE] = str(a, (enum str_id)(STR_PHASE_IDLE + p));
}

static void staff_draw(const struct app *a, struct ui *ui, int64_t now)
{
    struct frame f = begin(a, ui);
    const struct theme *t = ui->theme;
    SDL_Rect b[SB_COUNT];
    const char *labels[SB_COUNT];
    enum ui_font font = FONT_BUTTON;

    staff_layout(a, ui, &f, b);
    staff_labels(a, labels);
    for (int i = 0; i < SB_COUNT; i++)  /* one font for all, the largest every label fits */
        if (labels[i][0])
            font = ui_button_font(ui, b[i], font, labels[i]);
    staff_header(a, ui, &f);
    for (int i = 0; i < SB_COUNT; i++) {
        bool here = i >= SB_INTAKE && a->phase == (enum phase)(PHASE_INTAKE + i - SB_INTAKE);
        SDL_Color bg = i == SB_CLEAR ? t->called : here ? t->text : t->button;
        SDL_Color fg = i == SB_CLEAR ? t->called_text : here ? t->bg : t->button_text;
        if (labels[i][0])  /* the current phase is shown inverted */
            ui_button(ui, b[i], bg, fg, font, labels[i]);
    }
}

/* "V-" and the time in ms in base 36, e.g. V-MHX3K1A2: short enough to read out, no name in it. */
static void new_visit_id(int64_t now, char *out, size_t outlen)
{
    static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    char b36[16];
    int i = (int)sizeof b36 - 1;
    uint64_t v = now > 0 ? (uint64_t)now : 0;

    b36[i] = '\0';
    do {
        b36[--i] = digits[v % 36];
        v /= 36;
    } while (v && i > 0);
    snprintf(out, outlen, "V-%s", b36 + i);
}

static void staff_press(struct app *a, enum staff_button b, int64_t now)
{
    char visit[HV_ID_MAX];

    switch (b) {
    case SB_VISIT:
        if (a->visit[0]) {
            app_end_visit(a, now);
        } else {
            new_visit_id(now, visit, sizeof visit);
            app_begin_visit(a, visit, a->lang, now);  /* as chosen on the welcome screen */
        }
        break;
    case SB_CLEAR:
        if (a->call != CALL_UI_NONE)
            app_clear_call_bedside(a, a->staff.who[0] ? a->staff.who : "staff", now);
        break;
    case SB_CLOSE:
        a->staff.menu_open = false;
        break;
    default:
        app_set_phase(a, (enum phase)(PHASE_INTAKE + (b - SB_INTAKE)), now);
        break;
    }
    a->dirty = true;
}

/* The buttons shown now (the labels say which), by what they do. */
static int staff_targets(const struct app *a, const struct ui *ui, struct screen_target *out,
                         int max)
{
    static const char *const names[SB_COUNT] = {
        [SB_CLEAR] = "clear-call", [SB_CLOSE] = "close", [SB_INTAKE] = "phase-intake",
        [SB_INFUSION] = "phase-infusion", [SB_RECOVERY] = "phase-recovery",
        [SB_DISCHARGE] = "phase-discharge",
    };
    struct frame f = frame_of(a, ui);
    SDL_Rect b[SB_COUNT];
    const char *labels[SB_COUNT];
    int n = 0;

    staff_layout(a, ui, &f, b);
    staff_labels(a, labels);
    for (int i = 0; i < SB_COUNT; i++) {
        const char *name = i == SB_VISIT ? (a->visit[0] ? "end-visit" : "begin-visit") : names[i];
        if (labels[i][0])
            target(out, max, &n, name, b[i]);
    }
    return n;
}

static void staff_tap(struct app *a, struct ui *ui, int x, int y, int64_t now)
{
    struct frame f = frame_of(a, ui);
    SDL_Rect b[SB_COUNT];

    staff_layout(a, ui, &f, b);
    for (int i = 0; i < SB_COUNT; i++) {
        if (ui_hit(b[i], x, y)) {
            staff_press(a, (enum staff_button)i, now);
            return;
        }
    }
}

/* ---- the screens ------------------------------------------------------------------------------- */

const struct screen screen_idle = { "idle", NULL, idle_tap, idle_draw, idle_targets };
const struct screen screen_intake = { "intake", NULL, intake_tap, intake_draw, intake_targets };
const struct screen screen_infusion = { "infusion", NULL, sound_tap, infusion_draw,
                                        sound_targets };
const struct screen screen_recovery = { "recovery", NULL, sound_tap, recovery_draw,
                                        sound_targets };
const struct screen screen_discharge = { "discharge", NULL, discharge_tap, discharge_draw,
                                         discharge_targets };
const struct screen screen_checkin = { "checkin", NULL, checkin_tap, checkin_draw,
                                       checkin_targets };
const struct screen screen_pin = { "pin", pin_enter, pin_tap, pin_draw, pin_targets };
const struct screen screen_staff = { "staff", NULL, staff_tap, staff_draw, staff_targets };
const struct screen screen_form = { "form", NULL, form_tap, form_draw, form_targets };

static const struct screen *const phase_screens[PHASE_COUNT] = {
    [PHASE_IDLE] = &screen_idle,
    [PHASE_INTAKE] = &screen_intake,
    [PHASE_INFUSION] = &screen_infusion,
    [PHASE_RECOVERY] = &screen_recovery,
    [PHASE_DISCHARGE] = &screen_discharge,
};

const struct screen *screen_current(const struct app *a)
{
    if (a->staff.menu_open)
        return &screen_staff;
    if (a->staff.pin_open)
        return &screen_pin;
    if (a->checkin == CHECKIN_PROMPT || a->checkin == CHECKIN_THANKS)
        return &screen_checkin;
    /* The phase's forms, until they are done; the intake's "thank you" stays after them. */
    if (a->run.view != RUN_NONE && (a->run.view != RUN_DONE || a->phase == PHASE_INTAKE))
        return &screen_form;
    if ((unsigned)a->phase < PHASE_COUNT)
        return phase_screens[a->phase];
    return &screen_idle;
}

int screen_targets(const struct screen *s, const struct app *a, const struct ui *ui,
                   struct screen_target *out, int max)
{
    return s && s->targets && max > 0 ? s->targets(a, ui, out, max) : 0;
}

bool screen_find_target(const struct screen *s, const struct app *a, const struct ui *ui,
                        const char *name, struct screen_target *out)
{
    struct screen_target t[SCREEN_TARGETS_MAX];
    int n = screen_targets(s, a, ui, t, SCREEN_TARGETS_MAX);

    for (int i = 0; i < n; i++) {
        if (strcmp(t[i].name, name) == 0) {
            *out = t[i];
            return true;
        }
    }
    return false;
}
