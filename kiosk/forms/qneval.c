/*
 * qneval.c - evaluating a form's answers (questionnaire.h): what is answered
 * and chosen, which items show, where the patient is in the form, the scores
 * and their bands, and which rules hold.  Pure functions of a loaded form and
 * its answers; the loader is questionnaire.c.
 */
#include "questionnaire.h"

#include <stdbool.h>
#include <string.h>

/* ---- evaluating ---------------------------------------------------------------------------- */

void qn_answers_clear(struct qn_answers *a)
{
    memset(a->opt, -1, sizeof a->opt);
    memset(a->sel, 0, sizeof a->sel);
    a->infusion = 0;
}

bool qn_answered(const struct qn_form *f, const struct qn_answers *a, int item)
{
    if (item < 0 || item >= f->nitems || a->opt[item] < 0)
        return false;
    return !f->items[item].multiple || a->sel[item] != 0;
}

/* The options item's answer holds as bits, hidden or not. */
static unsigned given(const struct qn_form *f, const struct qn_answers *a, int item)
{
    const struct qn_item *it = &f->items[item];

    if (!qn_answered(f, a, item))
        return 0;
    if (it->multiple)
        return a->sel[item] & ((1u << it->nopts) - 1);
    return a->opt[item] < it->nopts ? 1u << a->opt[item] : 0;
}

unsigned qn_answer_mask(const struct qn_form *f, const struct qn_answers *a, int item)
{
    if (item < 0 || item >= f->nitems || !qn_item_visible(f, a, item))
        return 0;
    return given(f, a, item);
}

void qn_toggle(const struct qn_form *f, struct qn_answers *a, int item, int o)
{
    const struct qn_item *it = &f->items[item];
    unsigned bit = 1u << o, excl = 0;

    for (int k = 0; k < it->nopts; k++)
        excl |= it->opts[k].exclusive ? 1u << k : 0;
    if (a->sel[item] & bit)
        a->sel[item] = (uint16_t)(a->sel[item] & ~bit);
    else
        a->sel[item] = (uint16_t)(it->opts[o].exclusive ? bit : (a->sel[item] & ~excl) | bit);
    a->opt[item] = -1;  /* changed: asked again until Next */
}

bool qn_confirm(const struct qn_form *f, struct qn_answers *a, int item)
{
    a->opt[item] = a->sel[item] ? 0 : -1;
    return qn_answered(f, a, item);
}

/* True if the visit's infusion is one of the condition's (QN_INF_* bits). */
static bool infusion_is(const struct qn_answers *a, unsigned which)
{
    unsigned now = a->infusion == 1 ? QN_INF_FIRST : a->infusion > 1 ? QN_INF_LATER : QN_INF_UNKNOWN;

    return (which & now) != 0;
}

int qn_item_index(const struct qn_form *f, const char *id)
{
    for (int i = 0; i < f->nitems; i++)
        if (f->items[i].id && strcmp(f->items[i].id, id) == 0)
            return i;
    return -1;
}

int qn_option_index(const struct qn_form *f, int item, const char *value)
{
    if (item < 0 || item >= f->nitems)
        return -1;
    for (int o = 0; o < f->items[item].nopts; o++)
        if (strcmp(f->items[item].opts[o].value, value) == 0)
            return o;
    return -1;
}

/* The option chosen for item (single choice), or NULL when it is hidden or unanswered. */
static const struct qn_option *chosen(const struct qn_form *f, const struct qn_answers *a, int item)
{
    int o = a->opt[item];

    if (f->items[item].multiple || o < 0 || o >= f->items[item].nopts ||
        !qn_item_visible(f, a, item))
        return NULL;
    return &f->items[item].opts[o];
}

/* True if option o matches c (its score, or its value among c's). */
static bool option_matches(const struct qn_option *o, const struct qn_cond *c)
{
    if (c->by_score)
        return o->score >= c->min_score;
    for (int v = 0; v < c->nvalues; v++)
        if (strcmp(o->value, c->values[v]) == 0)
            return true;
    return false;
}

bool qn_cond_true(const struct qn_form *f, const struct qn_answers *a, const struct qn_cond *c)
{
    if (c->infusion)
        return infusion_is(a, c->infusion);
    for (int i = 0; i < c->nitems; i++) {
        const struct qn_item *it = &f->items[c->items[i]];
        unsigned mask = qn_answer_mask(f, a, c->items[i]);   /* every option chosen */
        for (int o = 0; o < it->nopts; o++)
            if ((mask & (1u << o)) && option_matches(&it->opts[o], c))
                return true;
    }
    return false;
}

/* Conditions look only at earlier items (the loader sees to it), so this recursion ends. */
bool qn_item_visible(const struct qn_form *f, const struct qn_answers *a, int item)
{
    if (item < 0 || item >= f->nitems)
        return false;
    return !f->items[item].has_cond || qn_cond_true(f, a, &f->items[item].show_if);
}

int qn_next_visible(const struct qn_form *f, const struct qn_answers *a, int item)
{
    for (int i = item + 1; i < f->nitems; i++)
        if (qn_item_visible(f, a, i))
            return i;
    return f->nitems;
}

int qn_prev_visible(const struct qn_form *f, const struct qn_answers *a, int item)
{
    for (int i = item - 1; i >= 0; i--)
        if (qn_item_visible(f, a, i))
            return i;
    return -1;
}

int qn_visible_count(const struct qn_form *f, const struct qn_answers *a)
{
    int n = 0;

    for (int i = 0; i < f->nitems; i++)
        n += qn_item_visible(f, a, i);
    return n;
}

int qn_visible_position(const struct qn_form *f, const struct qn_answers *a, int item)
{
    int n = 0;

    for (int i = 0; i <= item && i < f->nitems; i++)
        n += qn_item_visible(f, a, i);
    return n;
}

bool qn_complete(const struct qn_form *f, const struct qn_answers *a)
{
    for (int i = 0; i < f->nitems; i++)
        if (qn_item_visible(f, a, i) && !qn_answered(f, a, i))
            return false;
    return true;
}

int qn_score_sum(const struct qn_form *f, const struct qn_answers *a, int s, bool *complete)
{
    const struct qn_score *sc = &f->scores[s];
    int sum = 0;

    *complete = true;
    for (int i = 0; i < sc->nitems; i++) {
        const struct qn_option *o = chosen(f, a, sc->items[i]);
        if (o)
            sum += o->score;
        else if (qn_item_visible(f, a, sc->items[i]))
            *complete = false;
    }
    return sum;
}

const struct qn_band *qn_score_band(const struct qn_form *f, int s, int sum)
{
    const struct qn_score *sc = &f->scores[s];

    for (int b = 0; b < sc->nbands; b++)
        if (sum >= sc->bands[b].from && sum <= sc->bands[b].to)
            return &sc->bands[b];
    return NULL;
}

bool qn_rule_true(const struct qn_form *f, const struct qn_answers *a, int r)
{
    return r >= 0 && r < f->nrules && qn_cond_true(f, a, &f->rules[r].when);
}
