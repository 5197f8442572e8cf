/*
 * manager.c - the screen manager (screen.h, view.h): which screen is current,
 * and the one place that lays a screen out, draws it, lists its targets and
 * hit-tests a tap.
 *
 * Every entry point starts the same way: the screen's layout, once, into a
 * view on the stack (a couple of kB; the kiosk redraws about once a minute).
 * A draw paints that view; a tap presses the first of its targets under the
 * finger; "tapname" and the test log read the same targets.
 */
#include "view.h"

#include <string.h>

/* The screen entered last, to leave it when another is entered. */
static const struct screen_ops *entered;

/* v laid out for ops on a's screen now. */
static void lay_out(const struct screen_ops *ops, const struct app *a, const struct ui *ui,
                    struct view *v)
{
    memset(v, 0, sizeof *v);
    v->f = frame_of(a, ui);
    ops->layout(a, ui, v);
}

void view_add(struct view *v, const char *name, SDL_Rect r, int what, int i)
{
    if (v->n < SCREEN_TARGETS_MAX)
        v->t[v->n++] = (struct screen_target){ name, r, what, i };
}

static void screen_enter(const struct screen_ops *ops, struct app *a, int64_t now)
{
    if (entered && entered != ops && entered->leave)
        entered->leave(a, now);
    entered = ops;
    if (ops->enter)
        ops->enter(a, now);
}

/* The theme for the phase (overlays too: a check-in during the infusion stays dim). */
static void screen_draw(const struct screen_ops *ops, const struct app *a, struct ui *ui,
                        int64_t now)
{
    struct view v;

    lay_out(ops, a, ui, &v);
    ui->theme = a->phase == PHASE_INFUSION ? &ui_theme_night : &ui_theme_day;
    ui_clear(ui);
    ops->draw(a, ui, &v, now);
}

static void screen_tap(const struct screen_ops *ops, struct app *a, struct ui *ui, int x, int y,
                       int64_t now)
{
    struct view v;

    lay_out(ops, a, ui, &v);
    for (int i = 0; i < v.n; i++) {
        if (ui_hit(v.t[i].rect, x, y)) {
            ops->press(a, &v, &v.t[i], now);
            return;
        }
    }
}

int screen_targets(const struct screen *s, const struct app *a, const struct ui *ui,
                   struct screen_target *out, int max)
{
    struct view v;
    int n;

    if (!s || max <= 0)
        return 0;
    lay_out(s->ops, a, ui, &v);
    n = imin(v.n, max);
    memcpy(out, v.t, (size_t)n * sizeof out[0]);
    return n;
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

/* ---- the screens ------------------------------------------------------------------------------- */

/* The entry points main.c calls for the screen whose ops are id##_ops. */
#define SCREEN(id)                                                                        \
    static void id##_enter(struct app *a, int64_t now)                                    \
    {                                                                                     \
        screen_enter(&id##_ops, a, now);                                                  \
    }                                                                                     \
    static void id##_tap(struct app *a, struct ui *ui, int x, int y, int64_t now)         \
    {                                                                                     \
        screen_tap(&id##_ops, a, ui, x, y, now);                                          \
    }                                                                                     \
    static void id##_draw(const struct app *a, struct ui *ui, int64_t now)                \
    {                                                                                     \
        screen_draw(&id##_ops, a, ui, now);                                               \
    }                                                                                     \
    const struct screen screen_##id = { #id, id##_enter, id##_tap, id##_draw, &id##_ops }

SCREEN(idle);
SCREEN(intake);
SCREEN(infusion);
SCREEN(recovery);
SCREEN(discharge);
SCREEN(checkin);
SCREEN(pin);
SCREEN(staff);
SCREEN(form);

static const struct screen *const phase_screens[PHASE_COUNT] = {
    [PHASE_IDLE] = &screen_idle,
    [PHASE_INTAKE] = &screen_intake,
    [PHASE_INFUSION] = &screen_infusion,
    [PHASE_RECOVERY] = &screen_recovery,
    [PHASE_DISCHARGE] = &screen_discharge,
};

const struct screen *screen_current(const struct app *a)
{
    if (staff_menu_is_open(&a->staff))
        return &screen_staff;
    if (staff_pad_is_open(&a->staff))
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
