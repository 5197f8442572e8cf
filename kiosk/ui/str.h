/*
 * str.h - every word the kiosk shows, in one place (implemented in strings.c).
 *
 * Screens never hold English text: they ask str_in(lang, STR_...) (or
 * str(a, STR_...) in the visit's language, chrome.h) and get the string in
 * that language, falling back to English for a language or a string not
 * translated yet.  Nothing here knows the app.  Strings with a number or a name
 * in them carry placeholders {1} and {2}, filled by str_fill, so that a
 * translation may put them in another order.
 *
 * (The header is not called strings.h: kiosk/ is on the include path, and
 * glibc's <string.h> includes <strings.h>, which would find ours.)
 */
#ifndef HAVEN_KIOSK_STR_H
#define HAVEN_KIOSK_STR_H

#include <stddef.h>

enum str_id {
    /* the help button */
    STR_HELP, STR_HELP_HINT, STR_HELP_SENDING, STR_HELP_WAITING, STR_HELP_CALLED,
    STR_HELP_COMING, STR_HELP_COMING_BY,
    /* the offline banner */
    STR_OFFLINE, STR_OFFLINE_CALL_SAVED,
    /* idle */
    STR_IDLE_WELCOME, STR_IDLE_COMFORT,
    /* intake when no forms are configured: a plain checklist */
    STR_INTAKE_TITLE, STR_INTAKE_HINT, STR_INTAKE_FASTED, STR_INTAKE_ESCORT,
    STR_INTAKE_MEDICINES,
    /* infusion */
    STR_INFUSION_REST, STR_INFUSION_RUNNING, STR_ELAPSED_MIN, STR_ELAPSED_HOURS, STR_SOUND,
    STR_SOUND_OFF,
    /* the sound controls (infusion and recovery), the themes the kiosk has words for,
     * and why the staff menu says there is no sound */
    STR_SOUND_PLAY, STR_SOUND_PAUSE, STR_SOUND_NEXT, STR_SOUND_QUIETER, STR_SOUND_LOUDER,
    STR_THEME_AMBIENT, STR_THEME_NATURE, STR_THEME_RAIN, STR_THEME_SILENCE,
    STR_STAFF_SOUND_NO_DEVICE, STR_STAFF_SOUND_NO_FILES,
    /* recovery */
    STR_RECOVERY_TITLE, STR_RECOVERY_LEFT, STR_RECOVERY_LEFT_ONE, STR_RECOVERY_OVER,
    /* discharge */
    STR_DISCHARGE_TITLE, STR_DISCHARGE_ESCORT, STR_DISCHARGE_REVIEW,
    /* check-in */
    STR_CHECKIN_TITLE, STR_FEEL_VERY_GOOD, STR_FEEL_GOOD, STR_FEEL_OK, STR_FEEL_NOT_GOOD,
    STR_FEEL_VERY_BAD, STR_CHECKIN_SOMEONE, STR_CHECKIN_THANKS,
    /* staff: the PIN pad and the menu */
    STR_PIN_TITLE, STR_PIN_CANCEL, STR_PIN_OK, STR_PIN_WRONG, STR_PIN_LOCKED,
    STR_STAFF_VISIT, STR_STAFF_NO_VISIT, STR_STAFF_BEGIN, STR_STAFF_END, STR_STAFF_CLEAR,
    STR_STAFF_CLOSE, STR_STAFF_CONNECTED, STR_STAFF_NOT_CONNECTED, STR_STAFF_PENDING,
    STR_STAFF_PENDING_ONE,
    /* languages, each in its own words (the welcome screen's and the forms' choice) */
    STR_LANG_EN, STR_LANG_ES,
    /* questionnaires */
    STR_FORM_START, STR_FORM_BACK, STR_FORM_NEXT, STR_FORM_PROGRESS, STR_FORM_REVIEW_TITLE,
    STR_FORM_REVIEW_HINT, STR_FORM_SEND, STR_FORM_MESSAGE_TITLE, STR_FORM_MESSAGE_BODY,
    STR_FORM_CONTINUE, STR_FORM_DONE_TITLE, STR_FORM_DONE_BODY, STR_FORM_MULTI_HINT,
    /* phase names, in enum phase order */
    STR_PHASE_IDLE, STR_PHASE_INTAKE, STR_PHASE_INFUSION, STR_PHASE_RECOVERY,
    STR_PHASE_DISCHARGE,
    STR_COUNT
};

/* The text of id in lang ("en", "es"; NULL or unknown: English). Never NULL. */
const char *str_in(const char *lang, enum str_id id);

/* The English / Spanish table's entry, or NULL (absent, or an id out of range; for tests). */
const char *str_english(enum str_id id);
const char *str_spanish(enum str_id id);

/*
 * Copies tmpl into out (outlen bytes, always terminated), replacing "{1}"
 * with arg1 and "{2}" with arg2 (NULL: left out).  Returns out.
 */
char *str_fill(char *out, size_t outlen, const char *tmpl, const char *arg1, const char *arg2);

#endif
