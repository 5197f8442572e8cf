/*
 * form.c - the questionnaires, one screen at a time (formrun.h): the form's
 * intro (its title, what it asks, its attribution; Start, and the
 * language), each question with its answers as big buttons and "Question 3
 * of 9" above it, the calm message after an answer a rule marks as a safety
 * concern, the review, and "thank you" when every form is sent.  Back and
 * Next (or Send, Continue) sit bottom left, level with the help button,
 * which stays where it always is.  A press is an event for the app
 * (app_form_event), which journals it.
 *
 * Two tables say it all: one row per view of the run (its layout, and how
 * its text is set), one row per kind of item on the screen (its name, its
 * word, its colours, what a press does).  Drawing, the targets and the
 * presses read the same rows.
 */
#include "view.h"
#include "questionnaire.h"

#include <stdio.h>
#include <string.h>

/* ---- the items: every kind of thing a form screen shows to touch ------------------------ */

enum form_item { FI_OPTION, FI_START, FI_LANG, FI_BACK, FI_NEXT, FI_SEND, FI_CONTINUE };

enum form_look {
    LOOK_CHOICE,                 /* ordinary, the one chosen inverted; one font for the row */
    LOOK_PLAIN,                  /* an ordinary button */
    LOOK_MAIN,                   /* the way on (Start, Next, Send, Continue): in "coming" green */
};

static const struct form_item_kind {
    const char *name;            /* NULL: one per answer, "option-1" .. */
    enum str_id label;           /* the word on it (an answer: the form's) */
    enum form_look look;
    enum run_ev_kind ev;         /* what a press sends (an answer: EV_ANSWER; a language: none) */
} items[] = {
    [FI_OPTION] = { NULL, 0, LOOK_CHOICE, EV_ANSWER },
    [FI_START] = { "start", STR_FORM_START, LOOK_MAIN, EV_START },
    [FI_LANG] = { NULL, 0, LOOK_CHOICE, EV_KIND_COUNT },
    [FI_BACK] = { "back", STR_FORM_BACK, LOOK_PLAIN, EV_BACK },
    [FI_NEXT] = { "next", STR_FORM_NEXT, LOOK_MAIN, EV_NEXT },
    [FI_SEND] = { "send", STR_FORM_SEND, LOOK_MAIN, EV_SUBMIT },
    [FI_CONTINUE] = { "continue", STR_FORM_CONTINUE, LOOK_MAIN, EV_NEXT },
};

static enum qn_lang lang_of(const struct app *a)
{
    return qn_lang_of(a->lang);
}

/* Adds item k at r, if it shows now: Next only once the question has an answer (nothing on
 * screen that does nothing). */
static void item_add(const struct app *a, struct view *v, enum form_item k, SDL_Rect r)
{
    if (k == FI_NEXT && a->run.ans[a->run.cur].opt[a->run.item] < 0)
        return;
    view_add(v, items[k].name, r, k, 0);
}

/* Back and the way on (k), bottom left: the strip split in two. */
static void nav_add(const struct app *a, struct view *v, enum form_item k)
{
    item_add(a, v, FI_BACK, cell(bottom_left(&v->f), 2, 0, v->f.gap));
    item_add(a, v, k, cell(bottom_left(&v->f), 2, 1, v->f.gap));
}

/* ---- the views' layouts --------------------------------------------------------------------- */

/*
 * The question screen's text and answers are fitted together (question_fit):
 * the stem keeps its own lines and is never left out, no answer is cut, and
 * nothing is set smaller than FONT_SMALL (4.5 mm per em at the panel's DPI,
 * about 13 pt: the floor kept for older patients).  The sizes are given up
 * in the order of fit_steps, each tried with the answers in one column, two,
 * and on the fewest rows; the answer rows grow to hold labels that wrap.
 */
static const struct fit_step {
    enum ui_font question, stem, answers;
    bool progress;               /* "Question 3 of 9" above the stem */
    bool wide;                   /* lines below the staff corner use the whole width */
} fit_steps[] = {
    { FONT_TITLE, FONT_BODY, FONT_BUTTON, true, false },
    { FONT_BODY, FONT_BODY, FONT_BUTTON, true, false },
    { FONT_BODY, FONT_BODY, FONT_BODY, true, false },
    { FONT_BODY, FONT_SMALL, FONT_BODY, true, false },
    { FONT_SMALL, FONT_SMALL, FONT_BODY, true, false },
    { FONT_SMALL, FONT_SMALL, FONT_BODY, true, true },
    { FONT_SMALL, FONT_SMALL, FONT_SMALL, true, true },
    { FONT_SMALL, FONT_SMALL, FONT_SMALL, false, true },  /* a small, dense screen: the count goes */
};

/* The answers' grid: cols across, w wide from x, each row as tall as it needs. */
struct grid {
    int cols, rows, x, w;
    int rh[QN_OPTIONS_MAX];
};

/* The fewest rows n answers can take: one row of up to four, else two. */
static int option_rows_min(int n)
{
    return n <= 4 ? 1 : 2;
}

/*
 * The grid for the n labels in cols columns from y0 in font: each row as
 * tall as its tallest label needs (16 mm at the least), and up to row_max
 * when there is room for every row to be.  Its height, or -1 when a label
 * would be cut at that width.
 */
static int grid_fit(const struct ui *ui, const struct frame *f, const char *const *labels, int n,
                    int cols, int y0, enum ui_font font, struct grid *g)
{
    int x0 = y0 < f->corner.y + f->corner.h ? f->text_x : f->m, cell, room, need = 0, roomy = 0;

    g->cols = cols;
    g->rows = (n + cols - 1) / cols;
    g->w = cols == 1 ? imin(f->w * 4 / 5, f->w - 2 * x0) : f->w - 2 * x0;
    g->x = (f->w - g->w) / 2;
    cell = (g->w - (cols - 1) * f->gap) / cols;
    room = free_bottom(f) - y0 - (g->rows - 1) * f->gap;
    for (int r = 0; r < g->rows; r++)
        g->rh[r] = f->target;
    for (int i = 0; i < n; i++) {
        int h = ui_button_need(ui, font, cell, labels[i]);
        if (h < 0)
            return -1;
        g->rh[i / cols] = imax(g->rh[i / cols], h);
    }
    for (int r = 0; r < g->rows; r++) {
        need += g->rh[r];
        roomy += imax(g->rh[r], imin(room / g->rows, f->row_max));
    }
    for (int r = 0; roomy <= room && r < g->rows; r++)
        g->rh[r] = imax(g->rh[r], imin(room / g->rows, f->row_max));
    return need + (g->rows - 1) * f->gap;
}

static void grid_add(struct view *v, const struct grid *g, int y0, int n)
{
    static const char *const names[QN_OPTIONS_MAX] = {
        "option-1", "option-2", "option-3", "option-4", "option-5", "option-6", "option-7", "option-8",
    };

    for (int i = 0; i < n && i < QN_OPTIONS_MAX; i++) {
        SDL_Rect across = { g->x, y0, g->w, g->rh[i / g->cols] };
        for (int r = 0; r < i / g->cols; r++)
            across.y += g->rh[r] + v->f.gap;
        view_add(v, names[i], cell(across, g->cols, i % g->cols, v->f.gap), FI_OPTION, i);
    }
}

static void line_add(struct view *v, enum ui_font font, bool soft, const char *text)
{
    v->l[v->nl++] = (struct line){ font, soft, text };
}

/*
 * v's lines for step s: the count (if the step keeps it), the stem, the
 * question.  Returns the top of the answers under them.
 */
static int question_lines(const struct ui *ui, struct view *v, const struct fit_step *s,
                          const char *stem, const char *question)
{
    const struct frame *f = &v->f;

    v->nl = 0;
    v->wide = s->wide;
    if (s->progress)
        line_add(v, FONT_SMALL, true, v->text[0]);
    if (stem[0])
        line_add(v, s->stem, true, stem);
    line_add(v, s->question, false, question);
    return f->top + f->gap + (s->wide ? lines_height_wide(ui, f, v->l, v->nl)
                                      : lines_height(ui, v->l, v->nl, f->text_w, f->gap));
}

/*
 * The first step of fit_steps, and the number of columns, in which the
 * lines and the answers fit above the help button: the lines set in v, the
 * grid in g, and its top returned.  When none fits (a tiny screen), the
 * last step on the fewest rows, the grid kept on the screen.
 */
static int question_fit(const struct ui *ui, struct view *v,
                        const char *stem, const char *question, const char *const *labels, int n,
                        struct grid *g)
{
    const struct frame *f = &v->f;
    int cols[3] = { 1, 2, (n + option_rows_min(n) - 1) / option_rows_min(n) }, bottom = free_bottom(f);
    size_t k;

    for (k = 0; k < sizeof fit_steps / sizeof fit_steps[0]; k++) {
        int y0 = question_lines(ui, v, &fit_steps[k], stem, question);
        for (int c = 0; c < 3; c++) {
            if (cols[c] > n || (c > 0 && cols[c] <= cols[c - 1]))
                continue;
            int h = grid_fit(ui, f, labels, n, cols[c], y0, fit_steps[k].answers, g);
            if (h >= 0 && y0 + h <= bottom)
                return y0;
        }
    }
    int y0 = question_lines(ui, v, &fit_steps[k - 1], stem, question), h;
    grid_fit(ui, f, labels, n, cols[2], y0, FONT_SMALL, g);
    for (int r = 0; r < g->rows; r++)
        g->rh[r] = f->target;
    h = g->rows * f->target + (g->rows - 1) * f->gap;
    return imax(f->m, imin(y0, bottom - h));
}

/* "Question 3 of 9", the form's stem, the question; its answers under them; Back, Next. */
static void question_layout(const struct app *a, const struct ui *ui, struct view *v)
{
    const struct qn_form *form = run_form(&a->run);
    const struct qn_item *it = &form->items[a->run.item];
    const struct qn_answers *ans = &a->run.ans[a->run.cur];
    const char *labels[QN_OPTIONS_MAX];
    char pos[16], count[16];
    struct grid g;
    int n = imin(it->nopts, QN_OPTIONS_MAX), y0;

    snprintf(pos, sizeof pos, "%d", qn_visible_position(form, ans, a->run.item));
    snprintf(count, sizeof count, "%d", qn_visible_count(form, ans));
    str_fill(v->text[0], sizeof v->text[0], str(a, STR_FORM_PROGRESS), pos, count);
    for (int i = 0; i < n; i++)
        labels[i] = qn_text(&it->opts[i].text, lang_of(a));
    /* The stem heads the questions on the form's answers ("Over the last 2 weeks, how
     * often..."), as on the paper form, not one with its own (the difficulty question). */
    y0 = question_fit(ui, v, it->own_options ? "" : qn_text(&form->stem, lang_of(a)),
                      qn_text(&it->text, lang_of(a)), labels, n, &g);
    grid_add(v, &g, y0, n);
    nav_add(a, v, FI_NEXT);
}

/*
 * The form's title, what it asks and its attribution; Start under them; the
 * languages bottom left.  On a small, dense screen where the text leaves no
 * room for Start under it, Start joins the languages, level with the help
 * button, and the text has the rest (the lines below the staff corner across
 * the width if need be): nothing of it is left out.
 */
static void intro_layout(const struct app *a, const struct ui *ui, struct view *v)
{
    static const char *const langs[LANGS] = { "lang-en", "lang-es" };
    const struct frame *f = &v->f;
    const struct qn_form *form = run_form(&a->run);
    int bw = imax(f->w * 2 / 5, ui_mm(ui, 60)), bh = imax(f->target, f->h / 7), h, y;
    SDL_Rect strip = bottom_left(f);

    line_add(v, FONT_TITLE, false, qn_text(&form->title, lang_of(a)));
    if (qn_text(&form->intro, lang_of(a))[0])
        line_add(v, FONT_BODY, false, qn_text(&form->intro, lang_of(a)));
    if (qn_text(&form->attribution, lang_of(a))[0])
        line_add(v, FONT_SMALL, true, qn_text(&form->attribution, lang_of(a)));
    h = fit_lines(ui, f, v->l, v->nl, f->target, free_bottom(f));
    if (f->top + h + 2 * f->gap + f->target <= free_bottom(f)) {
        y = f->top + h + 2 * f->gap;
        item_add(a, v, FI_START,
                 (SDL_Rect){ (f->w - bw) / 2, y, bw, imin(bh, free_bottom(f) - y) });
        lang_add(v, FI_LANG);
        return;
    }
    v->wide = f->top + h > free_bottom(f);
    item_add(a, v, FI_START, cell(strip, LANGS + 1, LANGS, f->gap));
    for (int i = 0; i < LANGS; i++)
        view_add(v, langs[i], cell(strip, LANGS + 1, i, f->gap), FI_LANG, i);
}

/* Calm, in the middle: the message, and where else to turn; Continue bottom left. */
static void message_layout(const struct app *a, const struct ui *ui, struct view *v)
{
    const struct frame *f = &v->f;

    line_add(v, FONT_TITLE, false, str(a, STR_FORM_MESSAGE_TITLE));
    line_add(v, FONT_BODY, false, str(a, STR_FORM_MESSAGE_BODY));
    if (a->forms && qn_text(&a->forms->crisis, lang_of(a))[0])
        line_add(v, FONT_BODY, true, qn_text(&a->forms->crisis, lang_of(a)));
    item_add(a, v, FI_CONTINUE, cell(bottom_left(f), 2, 1, f->gap));
    fit_lines(ui, f, v->l, v->nl, 0, free_bottom(f));
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

/* The heading as large as leaves room for the rows in two columns at the least; Back, Send. */
static void review_layout(const struct app *a, const struct ui *ui, struct view *v)
{
    const struct frame *f = &v->f;
    int need = (review_count(a) + 1) / 2 * review_row_h(ui, f), h;

    line_add(v, FONT_TITLE, false, str(a, STR_FORM_REVIEW_TITLE));
    line_add(v, FONT_BODY, true, str(a, STR_FORM_REVIEW_HINT));
    h = fit_lines(ui, f, v->l, v->nl, need, free_bottom(f));
    if (f->top + h + f->gap + need > free_bottom(f))
        v->nl = 1;  /* no room for the hint: Back says it */
    nav_add(a, v, FI_SEND);
}

/*
 * The review's rows under the heading, one line each: "3. Trouble falling or
 * staying asl…" and the answer beside it; in two columns of "3. Several
 * days" when the rows would not fit one under the other (a small screen).
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

/* ---- the views ------------------------------------------------------------------------------ */

static const struct form_view {
    void (*layout)(const struct app *a, const struct ui *ui, struct view *v);
    bool centred;                /* the text as a calm block in the middle, else from the top */
    void (*under)(const struct app *a, struct ui *ui, const struct frame *f, int y);  /* or NULL */
} views[] = {
    [RUN_INTRO] = { intro_layout, false, NULL },
    [RUN_QUESTION] = { question_layout, false, NULL },
    [RUN_MESSAGE] = { message_layout, true, NULL },
    [RUN_REVIEW] = { review_layout, false, review_rows },
};

/* The row for the run's view now, or NULL when no form is on screen (done: "thank you"). */
static const struct form_view *view_now(const struct app *a)
{
    unsigned k = (unsigned)a->run.view;

    if (!run_form(&a->run) || k >= sizeof views / sizeof views[0] || !views[k].layout)
        return NULL;
    return &views[k];
}

static void form_layout(const struct app *a, const struct ui *ui, struct view *v)
{
    const struct form_view *fv = view_now(a);

    if (fv)
        fv->layout(a, ui, v);
}

/* The word on target t: an answer's, a language's, or its kind's. */
static const char *item_label(const struct app *a, const struct screen_target *t)
{
    if (t->what == FI_OPTION)
        return qn_text(&run_form(&a->run)->items[a->run.item].opts[t->i].text, lang_of(a));
    return str(a, items[t->what].label);
}

/* The answers, in the one font in which each fits its button, the one given inverted. */
static void options_draw(const struct app *a, struct ui *ui, const struct view *v)
{
    const struct theme *t = ui->theme;
    const char *labels[QN_OPTIONS_MAX];
    int chosen = a->run.ans[a->run.cur].opt[a->run.item], n = 0;
    enum ui_font font = FONT_BUTTON;

    for (int i = 0; i < v->n && n < QN_OPTIONS_MAX; i++)
        if (v->t[i].what == FI_OPTION)
            labels[n++] = item_label(a, &v->t[i]);
    for (int i = 0; i < n; i++)
        font = ui_button_font(ui, v->t[i].rect, font, labels[i]);
    for (int i = 0; i < n; i++)
        ui_button(ui, v->t[i].rect, i == chosen ? t->text : t->button,
                  i == chosen ? t->bg : t->button_text, font, labels[i]);
}

/* The thank-you when the forms are done; at discharge, the discharge's own words. */
static void done_draw(const struct app *a, struct ui *ui, const struct frame *f)
{
    bool discharge = a->phase == PHASE_DISCHARGE;
    struct line l[2] = {
        { FONT_TITLE, false, str(a, discharge ? STR_DISCHARGE_TITLE : STR_FORM_DONE_TITLE) },
        { FONT_BODY, true, str(a, discharge ? STR_DISCHARGE_REVIEW : STR_FORM_DONE_BODY) },
    };
    block(ui, f, l, 2, true);
}

static void form_draw(const struct app *a, struct ui *ui, const struct view *v, int64_t now)
{
    const struct form_view *fv = view_now(a);
    const struct theme *t = ui->theme;
    int y;

    if (!fv) {
        done_draw(a, ui, &v->f);
        return;
    }
    if (fv->centred) {
        block(ui, &v->f, v->l, v->nl, false);
        y = 0;
    } else if (v->wide) {
        y = lines_draw_wide(ui, &v->f, v->l, v->nl);
    } else {
        y = lines_draw(ui, v->l, v->nl, v->f.text_x, v->f.top, v->f.text_w, v->f.gap);
    }
    options_draw(a, ui, v);
    if (fv->under)
        fv->under(a, ui, &v->f, y);
    for (int i = 0; i < v->n; i++) {
        const struct form_item_kind *k = &items[v->t[i].what];
        bool main_one = k->look == LOOK_MAIN;
        if (k->look == LOOK_CHOICE)
            continue;  /* the answers and the languages: drawn as a row */
        ui_button(ui, v->t[i].rect, main_one ? t->coming : t->button,
                  main_one ? t->coming_text : t->button_text, FONT_BUTTON,
                  item_label(a, &v->t[i]));
    }
    lang_draw(a, ui, v, FI_LANG);
}

static void form_press(struct app *a, const struct view *v, const struct screen_target *t,
                       int64_t now)
{
    struct run_event ev;

    if (t->what == FI_LANG) {
        lang_press(a, t->i);
        return;
    }
    if (t->what == FI_OPTION) {
        if (run_ev_answer(&a->run, t->i, &ev) == 0)
            app_form_event(a, &ev, now);
        return;
    }
    ev = run_ev(items[t->what].ev, a->run.cur);
    app_form_event(a, &ev, now);
}

const struct screen_ops form_ops = { NULL, NULL, form_layout, form_draw, form_press };
