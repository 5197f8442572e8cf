/*
 * staff.c - the staff's overlays: the PIN pad (after a long press on the
 * hidden corner) and the staff menu it unlocks (the visit, the phase, the
 * bedside clear of a call, and what the kiosk knows of its link and sound).
 *
 * Both take the whole screen but the help button, which stays where it
 * always is: a patient's call still works while the staff are at the chair.
 * The offline banner is not drawn over them (they say the link themselves).
 */
#include "view.h"
#include "shapes.h"
#include "sound.h"

#include <math.h>
#include <stdio.h>
#include <string.h>


/* ---- the staff PIN pad ---------------------------------------------------------------------- */

#define PIN_KEYS 12

static const char *const pin_labels[PIN_KEYS] = {
    "1", "2", "3", "4", "5", "6", "7", "8", "9", NULL /* Cancel */, "0", NULL /* OK */,
};

/* The 3 x 4 keys, left of the help button's column and right of the staff corner; i: the key.
 * "pin-" and the key's label: pin-0 .. pin-9, pin-cancel, pin-ok. */
static void pin_layout(const struct app *a, const struct ui *ui, struct view *v)
{
    static const char *const names[PIN_KEYS] = {
        "pin-1", "pin-2", "pin-3", "pin-4", "pin-5", "pin-6",
        "pin-7", "pin-8", "pin-9", "pin-cancel", "pin-0", "pin-ok",
    };
    const struct frame *f = &v->f;
    int x0 = f->corner.x + f->corner.w + f->gap, x1 = f->help.x - f->gap;
    int kh = imax(f->target, imin((f->h - 2 * f->m - 3 * f->gap) / 4, imax(f->target, f->h / 6)));
    int kw = imax(f->target, imin((x1 - x0 - 2 * f->gap) / 3, kh * 8 / 5));
    int px = x0 + (x1 - x0 - (3 * kw + 2 * f->gap)) / 2;
    int py = (f->h - (4 * kh + 3 * f->gap)) / 2;

    for (int i = 0; i < PIN_KEYS; i++) {
        SDL_Rect r = { px + (i % 3) * (kw + f->gap), py + (i / 3) * (kh + f->gap), kw, kh };
        view_add(v, names[i], r, 0, i);
    }
}

/* Title, the typed digits as dots, and "Wrong PIN": above the help button, right of the keys. */
static void pin_side(const struct app *a, struct ui *ui, const struct frame *f, int64_t now)
{
    const struct theme *t = ui->theme;
    int x = f->help.x, w = f->w - f->m - x, y = f->m;
    float d = fminf((float)ui_mm(ui, 2.5), w / (3.0f * STAFF_PIN_MAX));  /* 8 fit */
    int64_t until = staff_locked_until(&a->staff, now);

    y += ui_text(ui, FONT_TITLE, x, y, w, ALIGN_LEFT, t->text, str(a, STR_PIN_TITLE)) + f->gap;
    for (int i = 0; i < staff_pad_len(&a->staff); i++)
        disc(ui->ren, x + d + i * d * 3, y + d, d, t->text);
    y += (int)(2 * d) + f->gap;
    if (until) {  /* too many wrong PINs: until when */
        char at[16], text[256];
        clock_text(until + 59999, at, sizeof at);  /* the minute after */
        str_fill(text, sizeof text, str(a, STR_PIN_LOCKED), at, NULL);
        ui_text(ui, FONT_BODY, x, y, w, ALIGN_LEFT, t->text, text);
    } else if (staff_says_wrong(&a->staff, now)) {
        ui_text(ui, FONT_BODY, x, y, w, ALIGN_LEFT, t->text, str(a, STR_PIN_WRONG));
    }
}

static void pin_draw(const struct app *a, struct ui *ui, const struct view *v, int64_t now)
{
    const struct theme *t = ui->theme;
    const char *words[2] = { str(a, STR_PIN_CANCEL), str(a, STR_PIN_OK) };
    enum ui_font font = group_font(ui, v->t[9].rect, words, 2);

    for (int k = 0; k < v->n; k++) {
        int i = v->t[k].i;
        SDL_Rect r = v->t[k].rect;
        if (pin_labels[i])
            ui_button(ui, r, t->button, t->button_text, FONT_TITLE, pin_labels[i]);
        else if (i == 9)
            ui_button(ui, r, t->button, t->button_text, font, words[0]);
        else
            ui_button(ui, r, t->coming, t->coming_text, font, words[1]);
    }
    pin_side(a, ui, &v->f, now);
}

static void pin_enter(struct app *a, int64_t now)
{
    staff_pad_shown(&a->staff);
}

/* OK: the PIN goes to be checked (main.c, off this thread); app_pin_checked opens the menu. */
static void pin_submit(struct app *a, int64_t now)
{
    char pin[STAFF_PIN_MAX + 1];

    if (staff_pad_take(&a->staff, pin))
        app_pin_begin(a, pin, now);
    explicit_bzero(pin, sizeof pin);
}

static void pin_press(struct app *a, const struct view *v, const struct screen_target *t,
                      int64_t now)
{
    int i = t->i;

    if (pin_labels[i])
        staff_pad_digit(&a->staff, pin_labels[i][0]);
    else if (i == 9)
        staff_pad_cancel(&a->staff);
    else
        pin_submit(a, now);
    a->dirty = true;
}

const struct screen_ops pin_ops = { pin_enter, NULL, pin_layout, pin_draw, pin_press };

/* ---- the staff menu ---------------------------------------------------------------------------- */

enum staff_button {
    SB_VISIT,                         /* Begin visit, or End visit during one */
    SB_CLEAR,                         /* only while a call is open */
    SB_CLOSE,
    SB_INTAKE, SB_INFUSION, SB_RECOVERY, SB_DISCHARGE,
    SB_COUNT
};

/* The header's words, in v->text: the visit and its phase, the link to the broker, what
 * waits in the outbox, and why there is no sound when there should be. */
enum { HEAD_VISIT, HEAD_LINK, HEAD_PENDING, HEAD_SOUND };

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

static void staff_head_text(const struct app *a, char h[VIEW_TEXTS][VIEW_TEXT_MAX])
{
    char n[16];

    if (a->visit[0])
        str_fill(h[HEAD_VISIT], VIEW_TEXT_MAX, str(a, STR_STAFF_VISIT), a->visit,
                 str(a, (enum str_id)(STR_PHASE_IDLE + a->phase)));
    else
        str_fill(h[HEAD_VISIT], VIEW_TEXT_MAX, str(a, STR_STAFF_NO_VISIT), NULL, NULL);
    clock_text(a->disconnected_since_ms, n, sizeof n);
    str_fill(h[HEAD_LINK], VIEW_TEXT_MAX,
             str(a, a->connected ? STR_STAFF_CONNECTED : STR_STAFF_NOT_CONNECTED), n, NULL);
    snprintf(n, sizeof n, "%d", a->pending);
    str_fill(h[HEAD_PENDING], VIEW_TEXT_MAX,
             a->pending <= 0 ? "" : str(a, a->pending == 1 ? STR_STAFF_PENDING_ONE
                                                           : STR_STAFF_PENDING), n, NULL);
    staff_sound_text(a, h[HEAD_SOUND], VIEW_TEXT_MAX);
}

/*
 * The header as lines beside the staff corner, into v->l.  In small text
 * when it would leave too little room for the buttons (three rows).
 */
static void staff_head_lines(const struct ui *ui, struct view *v)
{
    const struct frame *f = &v->f;
    int w = f->w - f->m - f->text_x, one = ui_text_height(ui, FONT_BODY, 0, v->text[HEAD_LINK]);
    struct line *l = v->l;
    int n = 2;

    l[0] = (struct line){ FONT_BODY, false, v->text[HEAD_VISIT] };
    l[1] = (struct line){ font_for(ui, FONT_BODY, w, one, v->text[HEAD_LINK]), true,
                          v->text[HEAD_LINK] };
    if (v->text[HEAD_PENDING][0])
        l[n++] = (struct line){ FONT_SMALL, true, v->text[HEAD_PENDING] };
    if (v->text[HEAD_SOUND][0])
        l[n++] = (struct line){ FONT_SMALL, true, v->text[HEAD_SOUND] };
    if (lines_height(ui, l, n, w, 0) > f->h - 2 * f->m - 3 * (f->target + f->gap))
        l[0].font = l[1].font = FONT_SMALL;
    v->nl = n;
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

/* The buttons' labels ("" for one not shown now). */
static void staff_labels(const struct app *a, const char *labels[SB_COUNT])
{
    labels[SB_VISIT] = str(a, a->visit[0] ? STR_STAFF_END : STR_STAFF_BEGIN);
    labels[SB_CLEAR] = a->call != CALL_UI_NONE ? str(a, STR_STAFF_CLEAR) : "";
    labels[SB_CLOSE] = str(a, STR_STAFF_CLOSE);
    for (int p = PHASE_INTAKE; p <= PHASE_DISCHARGE; p++)
        labels[SB_INTAKE + p - PHASE_INTAKE] = str(a, (enum str_id)(STR_PHASE_IDLE + p));
}

/* Three buttons on a row (visit, clear, close), then the four phases on one row, or on two
 * rows of two when they would be too narrow for their names (a small screen). */
static void staff_buttons(const struct app *a, const struct ui *ui, const struct frame *f, int y0,
                          SDL_Rect b[SB_COUNT])
{
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

/* The header, then under it the buttons shown now (the labels say which), by what they do. */
static void staff_layout(const struct app *a, const struct ui *ui, struct view *v)
{
    static const char *const names[SB_COUNT] = {
        [SB_CLEAR] = "clear-call", [SB_CLOSE] = "close", [SB_INTAKE] = "phase-intake",
        [SB_INFUSION] = "phase-infusion", [SB_RECOVERY] = "phase-recovery",
        [SB_DISCHARGE] = "phase-discharge",
    };
    const struct frame *f = &v->f;
    SDL_Rect b[SB_COUNT];
    const char *labels[SB_COUNT];
    int y0;

    staff_head_text(a, v->text);
    staff_head_lines(ui, v);
    y0 = imax(f->m + lines_height(ui, v->l, v->nl, f->w - f->m - f->text_x, 0),
              f->corner.y + f->corner.h) + f->gap;
    staff_buttons(a, ui, f, y0, b);
    staff_labels(a, labels);
    for (int i = 0; i < SB_COUNT; i++) {
        const char *name = i == SB_VISIT ? (a->visit[0] ? "end-visit" : "begin-visit") : names[i];
        if (labels[i][0])
            view_add(v, name, b[i], i, 0);
    }
}

static void staff_draw(const struct app *a, struct ui *ui, const struct view *v, int64_t now)
{
    const struct frame *f = &v->f;
    const struct theme *t = ui->theme;
    const char *labels[SB_COUNT];
    enum ui_font font = FONT_BUTTON;
    int x = f->text_x, w = f->w - f->m - x, y = f->m;

    staff_labels(a, labels);
    for (int i = 0; i < v->n; i++)  /* one font for all, the largest every label fits */
        font = ui_button_font(ui, v->t[i].rect, font, labels[v->t[i].what]);
    for (int i = 0; i < v->nl; i++)
        y += ui_text(ui, v->l[i].font, x, y, w, ALIGN_LEFT,
                     v->l[i].soft ? t->text_soft : t->text, v->l[i].text);
    for (int i = 0; i < v->n; i++) {
        int b = v->t[i].what;
        bool here = b >= SB_INTAKE && a->phase == (enum phase)(PHASE_INTAKE + b - SB_INTAKE);
        SDL_Color bg = b == SB_CLEAR ? t->called : here ? t->text : t->button;
        SDL_Color fg = b == SB_CLEAR ? t->called_text : here ? t->bg : t->button_text;
        ui_button(ui, v->t[i].rect, bg, fg, font, labels[b]);  /* the current phase inverted */
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

static void staff_press(struct app *a, const struct view *v, const struct screen_target *t,
                        int64_t now)
{
    char visit[HV_ID_MAX];

    switch ((enum staff_button)t->what) {
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
            app_clear_call_bedside(a, staff_who(&a->staff), now);
        break;
    case SB_CLOSE:
        staff_menu_close(&a->staff);
        break;
    default:
        app_set_phase(a, (enum phase)(PHASE_INTAKE + (t->what - SB_INTAKE)), now);
        break;
    }
    a->dirty = true;
}

const struct screen_ops staff_ops = { NULL, NULL, staff_layout, staff_draw, staff_press };
