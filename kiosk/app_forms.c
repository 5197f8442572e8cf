/*
 * app_forms.c - the app's side of the questionnaires: a patient's taps on a
 * form become the run's events (formrun.h); what they set off goes out
 * through the outbox like every other message (a rule's call on
 * P/room/R/kiosk/call, a finished or abandoned form as a FHIR
 * QuestionnaireResponse on P/room/R/kiosk/response); then the tap is
 * journaled (journal.h).
 *
 * Effects first, journal second: if the kiosk dies between the two, the tap
 * is lost from the journal and the patient taps it again (a repeated call is
 * a re-alert the controller recognises), whereas the other order could lose
 * the call itself (a replayed tap never acts again).
 */
#include "app.h"
#include "fhir.h"
#include "ids.h"
#include "journal.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- what a run sets off ----------------------------------------------------------- */

/* A form's answers as a QuestionnaireResponse on kiosk/response. */
static void send_response(struct app *a, const struct run *r, int pos, bool completed,
                          int64_t now)
{
    const struct qn_form *f = run_form_at(r, pos);
    char id[HV_ID_MAX];
    struct fhir_meta m;

    if (!f)
        return;
    if (ids_new("resp", id, sizeof id) != 0)
        snprintf(id, sizeof id, "resp-%s-%lld", a->cfg->room, (long long)now);
    m = (struct fhir_meta){ id, a->visit, a->cfg->room, qn_lang_of(a->lang), completed, now };
    app_send(a, TOPIC_KIOSK_RESPONSE, fhir_encode_response(f, &r->ans[pos], &m));
    log_info("questionnaire %s %s (%s)", f->id, completed ? "completed" : "stopped", id);
}

/*
 * A rule's call.  With no call open it is the ordinary call.  With a call
 * open, even for the same reason, it is a concern of its own and gets an id
 * of its own (issue 14): re-sending the open call's id is a re-alert of that
 * call, with its first label and priority ("ate in the last 3 hours",
 * routine, when the answer was chest pain).  The controller joins it to the
 * open call, raises the priority if it is higher and lists it either way.
 */
static void rule_call(struct app *a, const struct qn_form *f, const struct qn_rule *rule,
                      int64_t now)
{
    char detail[HV_DETAIL_MAX], id[HV_ID_MAX];

    snprintf(detail, sizeof detail, "%s", rule->detail ? rule->detail : f->id);
    if (a->call == CALL_UI_NONE) {
        app_call(a, rule->reason, rule->priority, detail, now);
        return;
    }
    if (ids_new("call", id, sizeof id) != 0)
        snprintf(id, sizeof id, "call-%s-%lld", a->cfg->room, (long long)now);
    log_info("call %s (%s) joins open call %s", id, reason_name(rule->reason), a->call_id);
    app_send(a, TOPIC_KIOSK_CALL,
             contract_encode_kiosk_call_priority(id, rule->reason, detail, rule->priority, now));
}

static void effects(struct app *a, const struct run *r, const struct run_effects *fx, int64_t now)
{
    const struct qn_form *f = run_form_at(r, fx->form);

    for (int i = 0; f && i < fx->nrules; i++) {
        const struct qn_rule *rule = &f->rules[fx->rules[i]];
        log_info("questionnaire %s: rule %d holds", f->id, fx->rules[i] + 1);
        if (rule->calls)
            rule_call(a, f, rule, now);
    }
    if (fx->submitted)
        send_response(a, r, fx->form, true, now);
}

/* Unfinished forms of the run that the patient began: sent as stopped. */
static void abandon(struct app *a, int64_t now)
{
    for (int i = 0; i < a->run.nforms; i++)
        if (a->run.started[i] && !a->run.submitted[i])
            send_response(a, &a->run, i, false, now);
}

/* ---- the run ------------------------------------------------------------------------------- */

static void replay_one(void *ud, const struct run_event *ev)
{
    struct app *a = ud;

    if (run_apply(&a->run, ev, NULL) != 0)
        log_warn("journal: a %s tap no longer fits the forms (changed?): skipped",
                 run_ev_kind_name(ev->kind));
}

/* The current phase's run, from the start, then with the journal's taps applied. */
static void begin_run(struct app *a)
{
    int n;

    if (a->forms_next) {  /* a reload waited for the last run to end */
        qn_set_free(a->forms);
        a->forms = a->forms_next;
        a->forms_next = NULL;
    }
    run_init(&a->run, a->forms, a->phase);
    if (!a->journal || !a->visit[0] || a->run.view == RUN_NONE)
        return;
    n = journal_load(a->journal, a->visit, a->phase, replay_one, a);
    if (n > 0)
        log_info("questionnaires resumed from %d journaled tap(s): form %d of %d (%s), %s%s%s", n,
                 a->run.cur + 1, a->run.nforms, run_form(&a->run) ? run_form(&a->run)->id : "-",
                 run_view_name(a->run.view), a->run.view == RUN_QUESTION ? " " : "",
                 a->run.view == RUN_QUESTION ? run_form(&a->run)->items[a->run.item].id : "");
    a->dirty = true;
}

/* ---- what follows the visit (struct app_visit_ops) ------------------------------------------ */

static void forms_phase(struct app *a, enum phase old, int64_t now)
{
    abandon(a, now);
    if (a->journal && a->visit[0] && old != PHASE_IDLE)
        journal_close_run(a->journal, a->visit, old);
    begin_run(a);
}

static void forms_end_visit(struct app *a, int64_t now)
{
    abandon(a, now);
    if (a->journal && a->visit[0])
        journal_forget(a->journal, a->visit);
    run_init(&a->run, NULL, PHASE_IDLE);
}

static const struct app_visit_ops forms_ops = { forms_phase, forms_end_visit };

void app_forms_attach(struct app *a, struct qn_set *set, struct journal *j, int64_t now)
{
    qn_set_free(a->forms);
    a->forms = set;
    a->journal = j;
    a->visit_ops = &forms_ops;
    begin_run(a);
}

/* True once the patient has begun the phase's forms (a new set must wait for the next phase). */
static bool mid_form(const struct app *a)
{
    if (a->run.view == RUN_DONE)
        return true;
    for (int i = 0; i < a->run.nforms; i++)
        if (a->run.started[i])
            return true;
    return false;
}

void app_forms_reload(struct app *a, struct qn_set *set)
{
    qn_set_free(a->forms_next);
    a->forms_next = NULL;
    if (mid_form(a)) {
        a->forms_next = set;
        log_info("questionnaires reloaded: used from the next phase (a form is on screen)");
        return;
    }
    qn_set_free(a->forms);
    a->forms = set;
    run_init(&a->run, a->forms, a->phase);  /* nothing begun: nothing to replay */
    a->dirty = true;
}

void app_forms_free(struct app *a)
{
    qn_set_free(a->forms);
    qn_set_free(a->forms_next);
    a->forms = a->forms_next = NULL;
}

void app_form_event(struct app *a, const struct run_event *ev, int64_t now)
{
    struct run next = a->run;
    struct run_effects fx;

    if (run_apply(&next, ev, &fx) != 0)
        return;
    effects(a, &next, &fx, now);
    if (a->journal && a->visit[0] &&
        journal_append(a->journal, a->visit, a->phase, ev, now) != 0)
        log_error("journal: a tap could not be saved; a restart now would ask it again");
    a->run = next;
    a->dirty = true;
}
