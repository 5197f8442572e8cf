/*
 * checkin.c - the check-in prompt, "How are you feeling?": five faces from
 * very good to very bad, and "I'd like someone to come" beside the help
 * button; then a short thank-you, until the app takes it away.
 *
 * An answer is an intent (app_checkin_answer): a bad feeling or asking for
 * someone calls a nurse (app.c), never this screen.
 */
#include "view.h"
#include "shapes.h"

#include <math.h>

#define FACES 5

static const enum str_id feelings[FACES] = {
    STR_FEEL_VERY_GOOD, STR_FEEL_GOOD, STR_FEEL_OK, STR_FEEL_NOT_GOOD, STR_FEEL_VERY_BAD,
};

/* What a target is: a face (i: feeling i + 1), or "someone". */
enum { CHECKIN_FACE, CHECKIN_SOMEONE };

/*
 * The question, the five faces in a row above the help button, "someone"
 * beside the help button; nothing on the thank-you.
 */
static void checkin_layout(const struct app *a, const struct ui *ui, struct view *v)
{
    static const char *const names[FACES] = {
        "feeling-1", "feeling-2", "feeling-3", "feeling-4", "feeling-5",
    };
    const struct frame *f = &v->f;
    SDL_Rect row;
    int y0, room;

    if (a->checkin != CHECKIN_PROMPT)
        return;
    heading_fit(ui, f, str(a, STR_CHECKIN_TITLE), NULL, f->target, free_bottom(f), &v->hd);
    y0 = f->top + v->hd.h;
    room = free_bottom(f) - y0;
    row.x = f->m;
    row.w = f->w - 2 * f->m;
    row.h = imax(f->target, imin(room, imax(f->target * 5 / 2, f->h * 3 / 10)));
    row.y = y0 + imax(0, (room - row.h) / 3);
    row = clear_of_corner(f, row, free_bottom(f));
    for (int i = 0; i < FACES; i++)
        view_add(v, names[i], cell(row, FACES, i, f->gap), CHECKIN_FACE, i);
    view_add(v, "someone", bottom_left(f), CHECKIN_SOMEONE, 0);
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

static void checkin_draw(const struct app *a, struct ui *ui, const struct view *v, int64_t now)
{
    const struct theme *t = ui->theme;
    enum ui_font font;
    int lw, lh;

    if (a->checkin != CHECKIN_PROMPT) {  /* the thank-you, until the app takes it away */
        struct line l = { FONT_TITLE, false, str(a, STR_CHECKIN_THANKS) };
        block(ui, &v->f, &l, 1, false);  /* "someone" may have been there a moment ago */
        return;
    }
    heading_draw(ui, &v->f, &v->hd);
    lw = v->t[0].rect.w - 2 * ui_mm(ui, 2);
    font = face_font(a, ui, lw, v->t[0].rect.h / 3);
    lh = face_label_height(a, ui, lw, font);
    for (int i = 0; i < v->n; i++) {
        const struct screen_target *b = &v->t[i];
        if (b->what == CHECKIN_FACE)
            face_button(a, ui, b->rect, b->i, font, lh);
        else
            ui_button(ui, b->rect, t->button, t->button_text, FONT_BUTTON,
                      str(a, STR_CHECKIN_SOMEONE));
    }
}

/* Asking for someone is an answer in itself: no face needed (feeling 0: not said). */
static void checkin_press(struct app *a, const struct view *v, const struct screen_target *t,
                          int64_t now)
{
    if (t->what == CHECKIN_FACE)
        app_checkin_answer(a, t->i + 1, false, now);
    else
        app_checkin_answer(a, 0, true, now);
}

const struct screen_ops checkin_ops = { NULL, NULL, checkin_layout, checkin_draw, checkin_press };
