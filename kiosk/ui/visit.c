/*
 * visit.c - the calm screens of a visit without a form on them: the welcome
 * (idle: the clock and the language), the intake's plain checklist when no
 * forms are configured, and the discharge ("my escort is here").
 *
 * One thing per screen, few words, nothing a patient can get stuck in.  The
 * little that is only these screens' business (the intake ticks, the
 * escort) lives in file-local state, for the visit it belongs to.
 */
#include "view.h"
#include "shapes.h"

#include <stdio.h>
#include <string.h>

#define INTAKE_ITEMS 3

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

/* ---- choosing the language: "English" / "Español", each in its own words --------------- */

static const char *const lang_codes[LANGS] = { "en", "es" };
static const char *const lang_names[LANGS] = { "lang-en", "lang-es" };

void lang_add(struct view *v, int what)
{
    for (int i = 0; i < LANGS; i++)
        view_add(v, lang_names[i], cell(bottom_left(&v->f), LANGS, i, v->f.gap), what, i);
}

void lang_draw(const struct app *a, struct ui *ui, const struct view *v, int what)
{
    const struct theme *t = ui->theme;
    const char *labels[LANGS] = { str(a, STR_LANG_EN), str(a, STR_LANG_ES) };
    enum ui_font font = FONT_BUTTON;
    bool first = true;

    for (int k = 0; k < v->n; k++) {
        const struct screen_target *b = &v->t[k];
        bool on;
        if (b->what != what)
            continue;
        if (first)  /* one font for both, fitted to the first */
            font = group_font(ui, b->rect, labels, LANGS);
        first = false;
        on = strcmp(a->lang, lang_codes[b->i]) == 0;
        ui_button(ui, b->rect, on ? t->text : t->button, on ? t->bg : t->button_text, font,
                  labels[b->i]);
    }
}

void lang_press(struct app *a, int i)
{
    app_set_lang(a, lang_codes[i]);
}

/* ---- idle: a calm welcome and the clock ------------------------------------------- */

enum { IDLE_LANG };

static void idle_layout(const struct app *a, const struct ui *ui, struct view *v)
{
    lang_add(v, IDLE_LANG);
}

static void idle_draw(const struct app *a, struct ui *ui, const struct view *v, int64_t now)
{
    char clock[16];
    struct line l[3] = {
        { FONT_HUGE, false, clock },
        { FONT_TITLE, false, str(a, STR_IDLE_WELCOME) },
        { FONT_BODY, true, str(a, STR_IDLE_COMFORT) },
    };

    clock_text(now, clock, sizeof clock);
    block(ui, &v->f, l, 3, false);  /* the language buttons are bottom left */
    lang_draw(a, ui, v, IDLE_LANG);
}

static void idle_press(struct app *a, const struct view *v, const struct screen_target *t,
                       int64_t now)
{
    lang_press(a, t->i);
}

const struct screen_ops idle_ops = { NULL, NULL, idle_layout, idle_draw, idle_press };

/* ---- intake without forms: a plain checklist ----------------------------------------------- */

/*
 * Shown only when the config names no forms for the intake (the questions
 * are in the forms screen otherwise): the ticks are a reminder on screen
 * and go nowhere.
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
    int x0 = row_left(f, y0);
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
static void intake_layout(const struct app *a, const struct ui *ui, struct view *v)
{
    static const char *const names[INTAKE_ITEMS] = { "check-1", "check-2", "check-3" };
    const struct frame *f = &v->f;
    const char *title = str(a, STR_INTAKE_TITLE), *hint = str(a, STR_INTAKE_HINT);
    int need = INTAKE_ITEMS * f->target + (INTAKE_ITEMS - 1) * f->gap;
    SDL_Rect rows[INTAKE_ITEMS], *last = &rows[INTAKE_ITEMS - 1];

    heading_fit(ui, f, title, hint, need, f->h - f->m, &v->hd);
    stack(f, f->top + v->hd.h, INTAKE_ITEMS, f->w * 4 / 5, rows);
    if (last->y + last->h > f->h - f->m) {
        heading_fit(ui, f, title, hint, 2 * f->target + f->gap, f->h - f->m, &v->hd);
        intake_grid(f, f->top + v->hd.h, rows);
    }
    for (int i = 0; i < INTAKE_ITEMS; i++)
        view_add(v, names[i], rows[i], 0, i);
}

static void intake_draw(const struct app *a, struct ui *ui, const struct view *v, int64_t now)
{
    enum ui_font font = FONT_BUTTON;

    local_sync(a);
    heading_draw(ui, &v->f, &v->hd);
    for (int i = 0; i < v->n; i++)  /* one font for the three */
        font = check_font(ui, v->t[i].rect, font, str(a, intake_items[v->t[i].i]));
    for (int i = 0; i < v->n; i++)
        check_row(ui, v->t[i].rect, local.intake[v->t[i].i], str(a, intake_items[v->t[i].i]),
                  font);
}

static void intake_press(struct app *a, const struct view *v, const struct screen_target *t,
                         int64_t now)
{
    local_sync(a);
    local.intake[t->i] = !local.intake[t->i];
    a->dirty = true;
}

const struct screen_ops intake_ops = { NULL, NULL, intake_layout, intake_draw, intake_press };

/* ---- discharge: the escort ---------------------------------------------------------------- */

static void discharge_layout(const struct app *a, const struct ui *ui, struct view *v)
{
    const struct frame *f = &v->f;
    SDL_Rect row;

    heading_fit(ui, f, str(a, STR_DISCHARGE_TITLE), str(a, STR_DISCHARGE_REVIEW),
                f->target + f->gap, f->h - f->m, &v->hd);
    stack(f, f->top + v->hd.h + f->gap, 1, imax(f->w * 3 / 5, ui_mm(ui, 100)), &row);
    view_add(v, "escort", row, 0, 0);
}

static void discharge_draw(const struct app *a, struct ui *ui, const struct view *v,
                           int64_t now)
{
    SDL_Rect row = v->t[0].rect;

    local_sync(a);
    heading_draw(ui, &v->f, &v->hd);
    check_row(ui, row, local.escort, str(a, STR_DISCHARGE_ESCORT),
              check_font(ui, row, FONT_BUTTON, str(a, STR_DISCHARGE_ESCORT)));
}

static void discharge_press(struct app *a, const struct view *v, const struct screen_target *t,
                            int64_t now)
{
    local_sync(a);
    local.escort = !local.escort;
    a->dirty = true;
}

const struct screen_ops discharge_ops = { NULL, NULL, discharge_layout, discharge_draw,
                                          discharge_press };
