/*
 * formrun.c - walking a patient through a phase's forms (formrun.h).
 *
 * Every change goes through run_apply, one event at a time, and depends on
 * nothing but the run and the event: applying the journal's events to a
 * fresh run gives the run the patient left.
 */
#include "formrun.h"
#include "err.h"

#include <stdio.h>
#include <string.h>

static const char *const kind_names[EV_KIND_COUNT] = {
    [EV_START] = "start", [EV_ANSWER] = "answer", [EV_BACK] = "back", [EV_NEXT] = "next",
    [EV_SUBMIT] = "submit",
};

const char *run_ev_kind_name(enum run_ev_kind k)
{
    return (unsigned)k < EV_KIND_COUNT ? kind_names[k] : "?";
}

const char *run_view_name(enum run_view v)
{
    static const char *const names[] = { "none", "intro", "question", "message", "review", "done" };
    return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "?";
}

int run_ev_kind_from_name(const char *name)
{
    for (int k = 0; k < EV_KIND_COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0)
            return k;
    return -1;
}

void run_init(struct run *r, const struct qn_set *set, enum phase p)
{
    memset(r, 0, sizeof *r);
    r->set = set;
    r->phase = p;
    r->nforms = set && (unsigned)p < PHASE_COUNT ? set->nphase[p] : 0;
    for (int i = 0; i < QN_FORMS_MAX; i++)
        qn_answers_clear(&r->ans[i]);
    r->view = r->nforms > 0 ? RUN_INTRO : RUN_NONE;
}

void run_set_infusion(struct run *r, int infusion)
{
    for (int i = 0; i < QN_FORMS_MAX; i++)
        r->ans[i].infusion = infusion > 0 ? infusion : 0;
}

const struct qn_form *run_form_at(const struct run *r, int i)
{
    if (i < 0 || i >= r->nforms)
        return NULL;
    return &r->set->forms[r->set->phase[r->phase][i]];
}

const struct qn_form *run_form(const struct run *r)
{
    if (r->view == RUN_NONE || r->view == RUN_DONE)
        return NULL;
    return run_form_at(r, r->cur);
}

struct run_event run_ev(enum run_ev_kind kind, int form)
{
    struct run_event ev;

    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.form = form;
    return ev;
}

int run_ev_answer(const struct run *r, int option, struct run_event *out)
{
    const struct qn_form *f = run_form(r);

    if (!f || r->view != RUN_QUESTION || option < 0 || option >= f->items[r->item].nopts)
        return HV_EINVAL;
    *out = run_ev(EV_ANSWER, r->cur);
    snprintf(out->item, sizeof out->item, "%s", f->items[r->item].id);
    snprintf(out->value, sizeof out->value, "%s", f->items[r->item].opts[option].value);
    return 0;
}

/* To the first visible item at or after from (with this form's answers), or the review. */
static void go_forward(struct run *r, const struct qn_form *f, int from)
{
    int next = qn_next_visible(f, &r->ans[r->cur], from - 1);

    if (next < f->nitems) {
        r->view = RUN_QUESTION;
        r->item = next;
    } else {
        r->view = RUN_REVIEW;
        r->reviewed[r->cur] = true;
    }
}

/* The option of item that set rule off: the answer, or for a multiple choice item the
 * first option chosen that the rule names. */
static int firing_option(const struct qn_form *f, const struct qn_answers *a, int item, int opt,
                         int rule)
{
    const struct qn_cond *c = &f->rules[rule].when;
    unsigned mask;

    if (!f->items[item].multiple)
        return opt;
    mask = qn_answer_mask(f, a, item);
    for (int o = 0; o < f->items[item].nopts; o++)
        for (int v = 0; (mask & (1u << o)) && v < c->nvalues; v++)
            if (!strcmp(c->values[v], f->items[item].opts[o].value))
                return o;
    return opt;
}

/*
 * Rules of the current form true now that had not acted yet: marked, listed
 * in fx, each with the answer that set it off (item, its option at ms).
 */
static bool fire_rules(struct run *r, const struct qn_form *f, int item, int opt, int64_t ms,
                       struct run_effects *fx)
{
    bool message = false;

    for (int i = 0; i < f->nrules; i++) {
        if ((r->fired[r->cur] & (1u << i)) || !qn_rule_true(f, &r->ans[r->cur], i))
            continue;
        r->fired[r->cur] |= 1u << i;
        r->fired_by[r->cur][i] = (struct run_fired){
            .set = true, .item = (int8_t)item,
            .opt = (int8_t)firing_option(f, &r->ans[r->cur], item, opt, i), .ms = ms };
        fx->rules[fx->nrules++] = i;
        message |= f->rules[i].message;
    }
    return message;
}

/* After an answer (opt, at ms; -1 for a multiple choice set) to item: the message, the
 * review, or on. */
static void answered(struct run *r, const struct qn_form *f, int item, int opt, int64_t ms,
                     struct run_effects *fx)
{
    if (fire_rules(r, f, item, opt, ms, fx))
        r->view = RUN_MESSAGE;  /* the calm message first; the next item after it */
    else if (r->reviewed[r->cur] && qn_complete(f, &r->ans[r->cur]))
        r->view = RUN_REVIEW;   /* an answer changed from the review: straight back to it */
    else
        go_forward(r, f, item + 1);
}

/* A tap on an answer: single choice, the answer (and on); multiple choice, the option
 * toggled (and the patient stays, to choose more, then Next). */
static int answer(struct run *r, const struct qn_form *f, const struct run_event *ev,
                  struct run_effects *fx)
{
    int item = qn_item_index(f, ev->item), opt;

    if (r->view != RUN_QUESTION || item != r->item)
        return HV_EINVAL;
    if ((opt = qn_option_index(f, item, ev->value)) < 0)
        return HV_EINVAL;
    r->started[r->cur] = true;
    if (f->items[item].multiple) {
        qn_toggle(f, &r->ans[r->cur], item, opt);
        return 0;
    }
    r->ans[r->cur].opt[item] = (int8_t)opt;
    answered(r, f, item, opt, ev->ms, fx);
    return 0;
}

static int back(struct run *r, const struct qn_form *f)
{
    int prev;

    switch (r->view) {
    case RUN_QUESTION:
        prev = qn_prev_visible(f, &r->ans[r->cur], r->item);
        if (prev < 0)
            r->view = RUN_INTRO;
        else
            r->item = prev;
        return 0;
    case RUN_MESSAGE:
        r->view = RUN_QUESTION;
        return 0;
    case RUN_REVIEW:
        prev = qn_prev_visible(f, &r->ans[r->cur], f->nitems);
        if (prev < 0) {
            r->view = RUN_INTRO;
        } else {
            r->view = RUN_QUESTION;
            r->item = prev;
        }
        return 0;
    default:
        return HV_EINVAL;
    }
}

/* Next: on from the message or an answered question; a multiple choice item's set
 * confirmed, its rules acting now (one per option chosen that a rule names). */
static int next(struct run *r, const struct qn_form *f, int64_t ms, struct run_effects *fx)
{
    if (r->view == RUN_QUESTION && f->items[r->item].multiple) {
        if (!qn_confirm(f, &r->ans[r->cur], r->item))
            return HV_EINVAL;  /* nothing chosen */
        answered(r, f, r->item, -1, ms, fx);
        return 0;
    }
    if (r->view == RUN_MESSAGE ||
        (r->view == RUN_QUESTION && r->ans[r->cur].opt[r->item] >= 0)) {
        go_forward(r, f, r->item + 1);
        return 0;
    }
    return HV_EINVAL;
}

static int submit(struct run *r, const struct qn_form *f, struct run_effects *fx)
{
    if (r->view != RUN_REVIEW || !qn_complete(f, &r->ans[r->cur]))
        return HV_EINVAL;
    r->submitted[r->cur] = true;
    r->started[r->cur] = true;
    fx->submitted = true;
    r->cur++;
    r->view = r->cur < r->nforms ? RUN_INTRO : RUN_DONE;
    return 0;
}

int run_apply(struct run *r, const struct run_event *ev, struct run_effects *fx)
{
    const struct qn_form *f = run_form(r);
    struct run_effects ignored;

    if (!fx)
        fx = &ignored;
    memset(fx, 0, sizeof *fx);
    fx->form = r->cur;
    if (!f || ev->form != r->cur)
        return HV_EINVAL;
    switch (ev->kind) {
    case EV_START:
        if (r->view != RUN_INTRO)
            return HV_EINVAL;
        r->started[r->cur] = true;
        go_forward(r, f, 0);
        return 0;
    case EV_ANSWER:
        return answer(r, f, ev, fx);
    case EV_BACK:
        return back(r, f);
    case EV_NEXT:
        return next(r, f, ev->ms, fx);
    case EV_SUBMIT:
        return submit(r, f, fx);
    default:
        return HV_EINVAL;
    }
}
