/*
 * rest.c - the screens of the treatment itself, with the sound controls:
 * the infusion (dim and quiet: rest, the time it has run) and the recovery
 * (the observation countdown).
 *
 * The sound controls sit bottom left, level with the help button: pause or
 * play, next, quieter, louder.  Above them, across the screen, one button
 * per theme the staff offer, the one playing shown inverted.  Every button
 * is 16 mm at least and none reaches the help button.  Without sound (none
 * configured, or no audio output) the corner only says so, as plain text;
 * with the theme "silence" chosen, or nothing playable, the themes stay
 * (there is always a way back to music) and the corner says the sound is off.
 */
#include "view.h"
#include "sound.h"
#include "kcfg.h"
#include "playlist.h"

#include <stdio.h>
#include <string.h>

enum sound_button { SND_TOGGLE, SND_NEXT, SND_QUIETER, SND_LOUDER, SND_COUNT };

/* What a target of these screens is. */
enum { REST_THEME, REST_BUTTON };

/* ---- the sound controls ---------------------------------------------------------------- */

static bool sound_music(const struct app *a)
{
    return sound_controls(a->sound) && sound_has_music(a->sound);
}

/* The themes' row, then the buttons (when there is music); v->top: the controls' top. */
static void sound_layout(const struct app *a, const struct ui *ui, struct view *v)
{
    static const char *const buttons[SND_COUNT] = {
        "sound-toggle", "sound-next", "sound-quieter", "sound-louder",
    };
    static const char *const themes[SOUND_THEMES_MAX] = { "theme-1", "theme-2", "theme-3",
                                                          "theme-4" };
    const struct frame *f = &v->f;
    int n_themes = sound_controls(a->sound) ? sound_theme_count(a->sound) : 0;

    v->top = f->help.y;
    if (n_themes > 0) {
        int rh = f->target;
        int w = imin(f->w - 2 * f->m, n_themes * f->target * 4);
        SDL_Rect row = { (f->w - w) / 2, f->help.y - f->gap - rh, w, rh };
        for (int i = 0; i < n_themes; i++)
            view_add(v, themes[i], cell(row, n_themes, i, f->gap), REST_THEME, i);
        v->top = row.y;
    }
    for (int i = 0; sound_music(a) && i < SND_COUNT; i++)
        view_add(v, buttons[i], cell(bottom_left(f), SND_COUNT, i, f->gap), REST_BUTTON, i);
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
static void volume_meter(const struct app *a, struct ui *ui, SDL_Rect l, SDL_Color on,
                         SDL_Color off)
{
    int steps = sound_volume_max(a->sound) / SOUND_VOLUME_STEP, lit;
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

/* Pointers to the targets of v that are what, in order, into out: how many. */
static int rest_targets(const struct view *v, int what, const struct screen_target **out)
{
    int n = 0;

    for (int i = 0; i < v->n; i++)
        if (v->t[i].what == what)
            out[n++] = &v->t[i];
    return n;
}

static void sound_draw(const struct app *a, struct ui *ui, const struct view *v)
{
    const struct theme *t = ui->theme;
    const struct screen_target *themes[SCREEN_TARGETS_MAX], *buttons[SCREEN_TARGETS_MAX];
    const char *labels[SND_COUNT], *names[SOUND_THEMES_MAX];
    int chosen = sound_theme_current(a->sound);
    int n_themes = rest_targets(v, REST_THEME, themes);
    int n_buttons = rest_targets(v, REST_BUTTON, buttons);
    enum ui_font font;

    if (!sound_music(a))
        sound_off_text(a, ui, &v->f);
    if (!sound_controls(a->sound))
        return;
    for (int i = 0; i < n_themes; i++)
        names[i] = theme_label(a, sound_theme_at(a->sound, i));
    font = group_font(ui, n_themes ? themes[0]->rect : (SDL_Rect){ 0, 0, 0, 0 }, names, n_themes);
    for (int i = 0; i < n_themes; i++)
        ui_button(ui, themes[i]->rect, i == chosen ? t->text : t->button,
                  i == chosen ? t->bg : t->button_text, font, names[i]);
    if (n_buttons < SND_COUNT)
        return;
    sound_labels(a, labels);
    font = group_font(ui, buttons[0]->rect, labels, SND_COUNT);
    for (int i = 0; i < SND_COUNT; i++)
        ui_button(ui, buttons[i]->rect, t->button, t->button_text, font, labels[i]);
    volume_meter(a, ui, buttons[SND_LOUDER]->rect, t->button_text, t->bg);
}

static void sound_press(struct app *a, const struct view *v, const struct screen_target *t,
                        int64_t now)
{
    if (t->what == REST_THEME)
        sound_pick_theme(a->sound, t->i, now);
    else if (t->i == SND_TOGGLE)
        sound_toggle_pause(a->sound, now);
    else if (t->i == SND_NEXT)
        sound_next(a->sound, now);
    else
        sound_change_volume(a->sound, t->i == SND_LOUDER ? 1 : -1, now);
    a->dirty = true;
}

/*
 * A phase screen with the sound controls: its lines centred above them (the
 * frame's bottom moved up to the themes' row), the controls below.  Without
 * sound, low_left says whether the text may use the corner left of the help
 * button (recovery) or it keeps it for "Sound: Off" (infusion).
 */
static void with_sound(const struct app *a, struct ui *ui, const struct view *v,
                       const struct line *l, int n, bool low_left)
{
    struct frame above = v->f;

    if (!sound_controls(a->sound) && low_left) {
        block(ui, &v->f, l, n, true);
        return;
    }
    above.help.y = v->top;
    block(ui, &above, l, lines_that_fit(ui, &above, l, n), false);
    sound_draw(a, ui, v);
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

static void infusion_draw(const struct app *a, struct ui *ui, const struct view *v, int64_t now)
{
    char elapsed[64];
    struct line l[3] = {
        { FONT_TITLE, false, str(a, STR_INFUSION_REST) },
        { FONT_BODY, false, str(a, STR_INFUSION_RUNNING) },
        { FONT_TITLE, true, elapsed },
    };

    elapsed_text(a, now, elapsed, sizeof elapsed);
    with_sound(a, ui, v, l, 3, false);
}

const struct screen_ops infusion_ops = { NULL, NULL, sound_layout, infusion_draw, sound_press };

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

static void recovery_draw(const struct app *a, struct ui *ui, const struct view *v, int64_t now)
{
    char left[256];
    struct line l[2] = {
        { FONT_TITLE, false, str(a, STR_RECOVERY_TITLE) },
        { FONT_BODY, true, left },
    };

    rest_left_text(a, now, left, sizeof left);
    with_sound(a, ui, v, l, 2, true);
}

const struct screen_ops recovery_ops = { NULL, NULL, sound_layout, recovery_draw, sound_press };
