/*
 * formrun.h - a patient's way through the forms of one visit phase.
 *
 * A run is the phase's forms (from the questionnaire set) one after another:
 * for each, an intro (title, what it asks, its attribution), one question per
 * screen, the calm safety message when a rule asks for it, a review, then
 * the next form; after the last, "done".  The run changes only through
 * events (start, answer, back, next, submit; on a multiple choice item an
 * answer toggles an option and next confirms the set), each of which the kiosk writes
 * to its tap journal (journal.h), so a run rebuilt by applying the journaled
 * events again is exactly the run the patient left: same form, same
 * question, same answers.
 *
 * run_apply reports what an event set off (rules that became true, a form
 * submitted), for the caller to act on; a replay ignores that, since it was
 * acted on the first time.
 */
#ifndef HAVEN_KIOSK_FORMRUN_H
#define HAVEN_KIOSK_FORMRUN_H

#include "ids.h"
#include "questionnaire.h"

#include <stdbool.h>
#include <stdint.h>

enum run_view {
    RUN_NONE,        /* no forms in this phase */
    RUN_INTRO,       /* the current form's first screen */
    RUN_QUESTION,    /* run.item */
    RUN_MESSAGE,     /* the calm safety message after an answer (then on to the next item) */
    RUN_REVIEW,      /* every answer of the form, before it is sent */
    RUN_DONE,        /* every form sent */
};

enum run_ev_kind { EV_START, EV_ANSWER, EV_BACK, EV_NEXT, EV_SUBMIT, EV_KIND_COUNT };

/* One event, as journaled: items and answers by id and value, not by index. */
struct run_event {
    enum run_ev_kind kind;
    int form;                    /* position in the run */
    char item[64];               /* EV_ANSWER: the item's id */
    char value[64];              /* EV_ANSWER: the option's value */
    int64_t ms;                  /* when it happened (the journal's time; 0 not known) */
};

/*
 * The answer that set a rule off (issue 14, defect 2).  Kept when the patient
 * changes the answer afterwards: item 9 "Several days" paged a nurse, and the
 * response must say so even if the final answer is "Not at all".
 */
struct run_fired {
    bool set;
    int8_t item, opt;            /* the item answered and the answer given */
    int64_t ms;                  /* when (the event's ms; 0 not known) */
    char call[HV_ID_MAX];        /* the call it raised: filled by the app ("" none or not known) */
};

struct run {
    const struct qn_set *set;
    enum phase phase;
    int nforms;                  /* set->nphase[phase] */
    int cur;                     /* position of the current form */
    enum run_view view;
    int item;                    /* RUN_QUESTION / RUN_MESSAGE: the item */
    struct qn_answers ans[QN_FORMS_MAX];
    unsigned fired[QN_FORMS_MAX];   /* rules that have acted, per form (bit r) */
    struct run_fired fired_by[QN_FORMS_MAX][QN_RULES_MAX];  /* the answer that set each off */
    bool submitted[QN_FORMS_MAX];
    bool started[QN_FORMS_MAX];
    bool reviewed[QN_FORMS_MAX];    /* the review has been shown: a changed answer goes back to it */
};

/* What an event set off. */
struct run_effects {
    int form;                    /* position of the form the event was about */
    int rules[QN_RULES_MAX];     /* rules of that form that became true just now */
    int nrules;
    bool submitted;              /* the form was submitted */
};

/* Starts the run of phase (RUN_NONE when the phase has no forms). */
void run_init(struct run *r, const struct qn_set *set, enum phase p);

/* The visit's infusion number (1 = the first of the course; 0 = not known), for
 * show_if = { infusion = ...; }.  Set before the first event (and before a replay). */
void run_set_infusion(struct run *r, int infusion);

/* The current form, or NULL (RUN_NONE, RUN_DONE). */
const struct qn_form *run_form(const struct run *r);
/* The form at position i of the run. */
const struct qn_form *run_form_at(const struct run *r, int i);

/*
 * Applies ev.  Returns 0, or HV_EINVAL for an event that does not fit the
 * run now (a stale or foreign one: ignored, nothing changed).  fx may be NULL.
 */
int run_apply(struct run *r, const struct run_event *ev, struct run_effects *fx);

/* Events for the screens to fill in. */
struct run_event run_ev(enum run_ev_kind kind, int form);
int run_ev_answer(const struct run *r, int option, struct run_event *out);

const char *run_ev_kind_name(enum run_ev_kind k);
/* "intro", "question", ... for the log. */
const char *run_view_name(enum run_view v);
int run_ev_kind_from_name(const char *name);

#endif
