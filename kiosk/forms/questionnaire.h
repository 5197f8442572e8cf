/*
 * questionnaire.h - questionnaires as data: the forms staff write in
 * libconfig files (config/questionnaires/NAME.cfg, docs/questionnaires.md),
 * loaded, checked and evaluated here.  No SDL, no MQTT: the screens draw
 * from these structs, formrun.c walks a patient through them, and fhir.c
 * turns the answers into a FHIR QuestionnaireResponse.
 *
 * A form is a list of items, each single choice or (multiple = true)
 * multiple choice: a set of options, one of which may be exclusive ("None
 * of these" clears the others).  Each answer option has a value
 * (its name in rules and in the tap journal), an optional code (LOINC
 * answer code) and an optional score.  A form's values = { food_hours = 6; }
 * are written once and used in any text or rule detail as {food_hours}: the
 * clinic's rule, set in one place, is the number the patient reads.  An item may be shown only when an
 * earlier answer allows it, or only at a first or a later infusion of the
 * patient's course (show_if); scores sum the answers of listed items
 * and name a band for the sum; rules act on answers (open a call with a
 * reason, show the calm safety message).  Every text is given in English and
 * may be given in Spanish; a missing Spanish text falls back to English.
 *
 * Which forms run in which visit phase, and the crisis line shown with the
 * safety message, come from haven.cfg (kiosk { questionnaires = { ... } }).
 */
#ifndef HAVEN_KIOSK_QUESTIONNAIRE_H
#define HAVEN_KIOSK_QUESTIONNAIRE_H

#include "cfg.h"
#include "contract.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#define QN_ITEMS_MAX   40   /* items in one form */
#define QN_OPTIONS_MAX 8    /* answer options of one item */
#define QN_SCORES_MAX  4
#define QN_BANDS_MAX   8
#define QN_RULES_MAX   16
#define QN_FORMS_MAX   16   /* forms loaded, and forms in one phase */
#define QN_COND_MAX    QN_ITEMS_MAX
#define QN_VALUES_MAX  QN_OPTIONS_MAX

/* Haven's own FHIR resources (issue 14): a form's Questionnaire is QN_URL_BASE "Questionnaire/<id>". */
#define QN_URL_BASE    "https://haven.invalid/fhir/"

enum qn_lang { QN_EN, QN_ES, QN_LANGS };

/* A text in each language; en is always set (malloc'd strings, NULL when absent). */
struct qn_text {
    char *s[QN_LANGS];
};

struct qn_option {
    char *value;            /* "yes", "0", ...: unique within the item */
    char *code;             /* LOINC answer code ("LA6568-5") or NULL */
    char *system;           /* code system of code (default http://loinc.org) */
    int score;              /* counted by scores (0 when unscored) */
    bool exclusive;         /* multiple choice: choosing it clears the others, and the others it */
    struct qn_text text;
};

/* Which infusion of the course this is, for show_if = { infusion = [ ... ]; } (bits). */
enum {
    QN_INF_FIRST = 1u << 0,     /* infusion 1 */
    QN_INF_LATER = 1u << 1,     /* infusion 2 or more */
    QN_INF_UNKNOWN = 1u << 2,   /* the visit did not say */
};

/*
 * "Any of items has an answer among values" (values given), or "any of items
 * has an answer scoring at least min_score" (min_score given); a multiple
 * choice item matches if any option chosen does.  An item that is hidden or
 * unanswered never matches.  Or (infusion set, show_if only) "this visit's
 * infusion is one of these" (QN_INF_* bits), and no items.
 */
struct qn_cond {
    int items[QN_COND_MAX];
    int nitems;
    char *values[QN_VALUES_MAX];
    int nvalues;
    bool by_score;
    int min_score;
    unsigned infusion;      /* QN_INF_* bits, or 0: a condition on answers */
};

struct qn_item {
    char *id;               /* the linkId in FHIR: the LOINC item code where it has one */
    char *code;             /* LOINC question code or NULL */
    struct qn_text text;
    struct qn_option opts[QN_OPTIONS_MAX];
    int nopts;
    bool own_options;       /* answered on its own options, not the form's answers: the
                             * form's stem (which introduces those) does not head it */
    bool multiple;          /* multiple choice: the answer is a set of options */
    bool has_cond;
    struct qn_cond show_if;
};

struct qn_band {
    int from, to;           /* inclusive */
    struct qn_text label;
};

struct qn_score {
    char *id;               /* linkId of the score item ("44261-6") */
    char *code;             /* LOINC code of the score, or NULL */
    struct qn_text text;
    int items[QN_ITEMS_MAX];
    int nitems;
    int min, max;           /* the lowest and highest sums possible */
    struct qn_band bands[QN_BANDS_MAX];
    int nbands;
};

struct qn_rule {
    struct qn_cond when;
    bool calls;             /* opens a call (reason) */
    enum call_reason reason;
    int priority;           /* an enum priority for the call, or -1: the reason's (room config) */
    char *detail;           /* for the call's detail */
    bool message;           /* show the calm safety message with the crisis line */
};

struct qn_form {
    char *name;             /* the file's name without .cfg: "phq-9" */
    char *path;
    char *id;               /* form id */
    char *url;              /* canonical URL of the Questionnaire (default: Haven's, QN_URL_BASE id) */
    char *version;          /* the Questionnaire's version (default "1"): raise it on a change */
    char *code;             /* LOINC panel code or NULL */
    struct qn_text title, stem, intro, attribution;
    struct qn_item items[QN_ITEMS_MAX];
    int nitems;
    struct qn_score scores[QN_SCORES_MAX];
    int nscores;
    struct qn_rule rules[QN_RULES_MAX];
    int nrules;
};

/* The forms of one kiosk: every form named by a phase, and the crisis line. */
struct qn_set {
    struct qn_form forms[QN_FORMS_MAX];
    int nforms;
    int phase[PHASE_COUNT][QN_FORMS_MAX];   /* indices into forms, in order */
    int nphase[PHASE_COUNT];
    struct qn_text crisis;                  /* shown with the safety message */
    char dir[PATH_MAX];
};

/*
 * The answers to one form: option index per item, -1 when unanswered.  A
 * multiple choice item's options are the bits of sel; it counts as answered
 * (opt 0) only once the patient confirmed a set that is not empty (Next), and
 * a tap that changes the set makes it unanswered (-1) until the next Next.
 * infusion is the visit's (1 = the first of the course, 0 = not known): what
 * show_if = { infusion = ...; } looks at.
 */
struct qn_answers {
    int8_t opt[QN_ITEMS_MAX];
    uint16_t sel[QN_ITEMS_MAX];
    int infusion;
};
_Static_assert(QN_OPTIONS_MAX <= 16, "sel holds one bit per option");

/* ---- loading ---- */

/*
 * Reads the questionnaires { } group of haven.cfg's kiosk section (path) and
 * every form it names.  A config without the group gives an empty set (no
 * forms: the intake shows its plain checklist).  Returns 0 and *out (free
 * with qn_set_free), or HV_ECONFIG / HV_ENOMEM with err "file:line: ...".
 */
int qn_set_load(const char *path, struct qn_set **out, struct cfg_error *err);
/* qn_set_load from cfg, haven.cfg already parsed from path (one parse for the kiosk). */
int qn_set_read(const config_t *cfg, const char *path, struct qn_set **out,
                struct cfg_error *err);
void qn_set_free(struct qn_set *set);

/* Loads one form file into f (zeroed first).  0 or HV_ECONFIG with err. For tests and check. */
int qn_form_load(const char *path, struct qn_form *f, struct cfg_error *err);
void qn_form_free(struct qn_form *f);

/* ---- evaluating ---- */

/* QN_ES for "es" (or "es-..."), QN_EN for anything else. */
enum qn_lang qn_lang_of(const char *lang);
/* t in lang, falling back to English; "" when t is empty. */
const char *qn_text(const struct qn_text *t, enum qn_lang lang);

/* No answers, the infusion not known. */
void qn_answers_clear(struct qn_answers *a);
/* True if item i has an answer (a multiple choice item: a confirmed set). */
bool qn_answered(const struct qn_form *f, const struct qn_answers *a, int item);
/* The options chosen for item i as bits (bit o: option o), 0 when hidden or unanswered. */
unsigned qn_answer_mask(const struct qn_form *f, const struct qn_answers *a, int item);
/* Item i (multiple choice) with option o toggled: an exclusive one clears the others, any
 * other clears the exclusive ones; the item is unanswered until confirmed (qn_confirm). */
void qn_toggle(const struct qn_form *f, struct qn_answers *a, int item, int o);
/* Item i's set confirmed: answered if not empty.  Returns true if it is. */
bool qn_confirm(const struct qn_form *f, struct qn_answers *a, int item);
/* The index of item id in f, or -1. */
int qn_item_index(const struct qn_form *f, const char *id);
/* The index of option value in item i of f, or -1. */
int qn_option_index(const struct qn_form *f, int item, const char *value);

/* True if item i is shown with these answers (its show_if holds, or it has none). */
bool qn_item_visible(const struct qn_form *f, const struct qn_answers *a, int item);
/* True if c holds for these answers. */
bool qn_cond_true(const struct qn_form *f, const struct qn_answers *a, const struct qn_cond *c);
/* The next / previous visible item after / before item (-1 for "before the first"); nitems / -1 when none. */
int qn_next_visible(const struct qn_form *f, const struct qn_answers *a, int item);
int qn_prev_visible(const struct qn_form *f, const struct qn_answers *a, int item);
/* How many items are visible, and item's 1-based position among them. */
int qn_visible_count(const struct qn_form *f, const struct qn_answers *a);
int qn_visible_position(const struct qn_form *f, const struct qn_answers *a, int item);
/* True if every visible item is answered. */
bool qn_complete(const struct qn_form *f, const struct qn_answers *a);

/* The sum of score s over its visible answered items; *complete: all of them answered. */
int qn_score_sum(const struct qn_form *f, const struct qn_answers *a, int s, bool *complete);
/* The band of score s that holds sum, or NULL. */
const struct qn_band *qn_score_band(const struct qn_form *f, int s, int sum);

/* True if rule r holds for these answers. */
bool qn_rule_true(const struct qn_form *f, const struct qn_answers *a, int r);

#endif
