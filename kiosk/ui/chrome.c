/*
 * chrome.c - the help button and the offline banner from the app's state
 * (chrome.h), and the words in the visit's language.
 *
 * The drawing is ui.c's (ui_help_button, ui_draw_banner); this file only
 * says which colours and which words, so ui.c and strings.c need no app.
 */
#include "chrome.h"
#include "app.h"

#include <string.h>

const char *str(const struct app *a, enum str_id id)
{
    return str_in(a ? a->lang : NULL, id);
}

/* ---- the help button ---------------------------------------------------------------- */

const char *ui_help_text(const struct app *a, char *out, size_t outlen)
{
    switch (a->call) {
    case CALL_UI_NONE:
        return str_fill(out, outlen, str(a, STR_HELP), NULL, NULL);
    case CALL_UI_SENDING:  /* not at the controller yet: say so, as the offline banner does */
        return str_fill(out, outlen, str(a, a->connected ? STR_HELP_SENDING : STR_HELP_WAITING),
                        NULL, NULL);
    case CALL_UI_CALLED:
        return str_fill(out, outlen, str(a, STR_HELP_CALLED), NULL, NULL);
    case CALL_UI_COMING:
        break;
    }
    if (a->call_by[0])
        return str_fill(out, outlen, str(a, STR_HELP_COMING_BY), a->call_by, NULL);
    return str_fill(out, outlen, str(a, STR_HELP_COMING), NULL, NULL);
}

/* At rest: "Help" with its hint, in the calm colour; a call: amber, then green once coming. */
void ui_draw_help(struct ui *ui, const struct app *a)
{
    const struct theme *t = ui->theme;
    char text[HV_NAME_MAX + 64];

    ui_help_text(a, text, sizeof text);
    if (a->call == CALL_UI_NONE)
        ui_help_button(ui, t->help, t->help_text, text, str(a, STR_HELP_HINT));
    else if (a->call == CALL_UI_COMING)
        ui_help_button(ui, t->coming, t->coming_text, text, NULL);
    else
        ui_help_button(ui, t->called, t->called_text, text, NULL);
}

/* ---- the offline banner ---------------------------------------------------------------- */

/* Staff overlays show the link themselves and need the whole screen for their keys. */
static bool banner_shown(const struct app *a)
{
    return !a->connected && !staff_pad_is_open(&a->staff) && !staff_menu_is_open(&a->staff);
}

/*
 * What the banner says: the link is down, what to do instead (from config),
 * and, while the patient's call has not reached the broker, that it is kept.
 */
static void banner_text(const struct app *a, char *out, size_t outlen)
{
    const char *what_else = a->cfg ? a->cfg->offline_text : "";
    size_t len;

    str_fill(out, outlen, what_else[0] ? "{1}\n{2}" : "{1}", str(a, STR_OFFLINE), what_else);
    len = strlen(out);
    if (a->call == CALL_UI_SENDING)
        str_fill(out + len, outlen - len, "\n{1}", str(a, STR_OFFLINE_CALL_SAVED), NULL);
}

int ui_offline_height(const struct ui *ui, const struct app *a)
{
    char text[1024];

    if (!banner_shown(a))
        return 0;
    banner_text(a, text, sizeof text);
    return ui_banner_height(ui, text);
}

void ui_draw_offline(struct ui *ui, const struct app *a)
{
    char text[1024];

    if (!banner_shown(a))
        return;
    banner_text(a, text, sizeof text);
    ui_draw_banner(ui, text);
}
