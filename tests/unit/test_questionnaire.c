/*
 * test_questionnaire.c - questionnaires as data (kiosk/forms/questionnaire.c), the
 * walk through them (formrun.c), the tap journal (journal.c) and the FHIR
 * QuestionnaireResponse (fhir.c), on the shipped forms and on broken ones.
 */
#include "check.h"
#include "err.h"
#include "fhir.h"
#include "formrun.h"
#include "journal.h"
#include "questionnaire.h"
#include "unit_util.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef HAVEN_SOURCE_DIR
#error "HAVEN_SOURCE_DIR must name the source tree"
#endif

static struct qn_set *shipped(void)
{
    struct qn_set *set = NULL;
    struct cfg_error err;

    if (qn_set_load(HAVEN_SOURCE_DIR "/config/haven.cfg", &set, &err) != 0)
        fprintf(stderr, "  %s\n", err.text);
    return set;
}

static const struct qn_form *form_named(const struct qn_set *set, const char *id)
{
    for (int i = 0; i < set->nforms; i++)
        if (strcmp(set->forms[i].id, id) == 0)
            return &set->forms[i];
    return NULL;
}

/* Answers the items of score 0 of f so that they sum to total (greedy, 3 at most each). */
static void answers_summing(const struct qn_form *f, int total, struct qn_answers *a)
{
    const struct qn_score *s = &f->scores[0];

    qn_answers_clear(a);
    for (int i = 0; i < s->nitems; i++) {
        int want = total > 3 ? 3 : total;
        char value[2] = { (char)('0' + want), '\0' };
        a->opt[s->items[i]] = (int8_t)qn_option_index(f, s->items[i], value);
        total -= want;
    }
}

static const char *band_at(const struct qn_form *f, int total)
{
    struct qn_answers a;
    bool complete;
    int sum;
    const struct qn_band *b;

    answers_summing(f, total, &a);
    sum = qn_score_sum(f, &a, 0, &complete);
    if (sum != total || !complete)
        return "(wrong sum)";
    b = qn_score_band(f, 0, sum);
    return b ? qn_text(&b->label, QN_EN) : "(none)";
}

/* ---- the shipped forms -------------------------------------------------------------- */

static void test_shipped_set(void)
{
    struct qn_set *set = shipped();
    REQUIRE(set != NULL);
    CHECK_INT_EQ(set->nphase[PHASE_INTAKE], 3);
    CHECK_INT_EQ(set->nphase[PHASE_DISCHARGE], 1);
    CHECK_INT_EQ(set->nphase[PHASE_INFUSION], 0);
    CHECK_STR_EQ(set->forms[set->phase[PHASE_INTAKE][0]].id, "safety-checklist");
    CHECK_STR_EQ(set->forms[set->phase[PHASE_INTAKE][1]].id, "phq-9");
    CHECK_STR_EQ(set->forms[set->phase[PHASE_INTAKE][2]].id, "gad-7");
    CHECK_STR_EQ(set->forms[set->phase[PHASE_DISCHARGE][0]].id, "discharge-checklist");
    CHECK(strstr(qn_text(&set->crisis, QN_EN), "988") != NULL);
    CHECK(strstr(qn_text(&set->crisis, QN_ES), "988") != NULL);

    const struct qn_form *phq = form_named(set, "phq-9");
    REQUIRE(phq != NULL);
    CHECK_INT_EQ(phq->nitems, 10);
    CHECK_STR_EQ(phq->code, "44249-1");
    CHECK_STR_EQ(phq->scores[0].id, "44261-6");
    CHECK_INT_EQ(phq->scores[0].min, 0);
    CHECK_INT_EQ(phq->scores[0].max, 27);
    static const char *const phq_items[] = { "44250-9", "44255-8", "44259-0", "44254-1", "44251-7",
                                             "44258-2", "44252-5", "44253-3", "44260-8", "69722-7" };
    for (int i = 0; i < 10; i++)
        CHECK_STR_EQ(phq->items[i].code, phq_items[i]);
    static const char *const answers[] = { "LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9" };
    for (int o = 0; o < 4; o++) {
        CHECK_STR_EQ(phq->items[0].opts[o].code, answers[o]);
        CHECK_INT_EQ(phq->items[0].opts[o].score, o);
    }
    CHECK_STR_EQ(qn_text(&phq->items[8].text, QN_ES),
                 "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera");
    CHECK(strstr(qn_text(&phq->attribution, QN_EN), "Spitzer, Janet B.W. Williams, Kurt Kroenke") != NULL);
    CHECK(strstr(qn_text(&phq->attribution, QN_EN), "No permission required to reproduce, translate, display or distribute") != NULL);

    const struct qn_form *gad = form_named(set, "gad-7");
    REQUIRE(gad != NULL);
    CHECK_INT_EQ(gad->nitems, 8);
    CHECK_STR_EQ(gad->code, "69737-5");
    CHECK_STR_EQ(gad->scores[0].id, "70274-6");
    CHECK_INT_EQ(gad->scores[0].max, 21);
    static const char *const gad_items[] = { "69725-0", "68509-9", "69733-4", "69734-2",
                                             "69735-9", "69689-8", "69736-7" };
    for (int i = 0; i < 7; i++)
        CHECK_STR_EQ(gad->items[i].code, gad_items[i]);
    CHECK(gad->attribution.s[QN_ES] != NULL);
    /* Every text of every shipped form has its Spanish. */
    for (int f = 0; f < set->nforms; f++)
        for (int i = 0; i < set->forms[f].nitems; i++) {
            const struct qn_item *it = &set->forms[f].items[i];
            CHECK(it->text.s[QN_ES] != NULL);
            for (int o = 0; o < it->nopts; o++)
                CHECK(it->opts[o].text.s[QN_ES] != NULL);
        }
    qn_set_free(set);
}

/* Every band boundary: 0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe. */
static void test_phq9_bands(void)
{
    struct qn_set *set = shipped();
    REQUIRE(set != NULL);
    const struct qn_form *f = form_named(set, "phq-9");
    REQUIRE(f != NULL);
    static const struct { int sum; const char *band; } want[] = {
        { 0, "Minimal" }, { 4, "Minimal" }, { 5, "Mild" }, { 9, "Mild" }, { 10, "Moderate" },
        { 14, "Moderate" }, { 15, "Moderately severe" }, { 19, "Moderately severe" },
        { 20, "Severe" }, { 27, "Severe" },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CHECK_STR_EQ(band_at(f, want[i].sum), want[i].band);
    struct qn_answers a;
    answers_summing(f, 12, &a);
    CHECK_STR_EQ(qn_text(&qn_score_band(f, 0, 12)->label, QN_ES), "Moderada");
    CHECK(qn_score_band(f, 0, 28) == NULL);
    CHECK(qn_score_band(f, 0, -1) == NULL);
    qn_set_free(set);
}

/* 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe. */
static void test_gad7_bands(void)
{
    struct qn_set *set = shipped();
    REQUIRE(set != NULL);
    const struct qn_form *f = form_named(set, "gad-7");
    REQUIRE(f != NULL);
    static const struct { int sum; const char *band; } want[] = {
        { 0, "Minimal" }, { 4, "Minimal" }, { 5, "Mild" }, { 9, "Mild" }, { 10, "Moderate" },
        { 14, "Moderate" }, { 15, "Severe" }, { 21, "Severe" },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CHECK_STR_EQ(band_at(f, want[i].sum), want[i].band);
    CHECK(qn_score_band(f, 0, 22) == NULL);
    qn_set_free(set);
}

static void answer(const struct qn_form *f, struct qn_answers *a, const char *item, const char *value)
{
    int i = qn_item_index(f, item);
    int o = qn_option_index(f, i, value);
    if (i < 0 || o < 0) {
        fprintf(stderr, "  no item %s answer %s\n", item, value);
    } else if (f->items[i].multiple) {  /* one more option chosen, and confirmed */
        a->sel[i] = (uint16_t)(a->sel[i] | 1u << o);
        a->opt[i] = 0;
    } else {
        a->opt[i] = (int8_t)o;
    }
}

static void test_skip_logic(void)
{
    struct qn_set *set = shipped();
    REQUIRE(set != NULL);
    const struct qn_form *phq = form_named(set, "phq-9");
    const struct qn_form *safety = form_named(set, "safety-checklist");
    REQUIRE(phq && safety);
    struct qn_answers a;

    /* PHQ-9: the difficulty question only when some problem was checked. */
    answers_summing(phq, 0, &a);
    CHECK(!qn_item_visible(phq, &a, 9));
    CHECK_INT_EQ(qn_visible_count(phq, &a), 9);
    CHECK_INT_EQ(qn_next_visible(phq, &a, 8), phq->nitems);  /* item 9 is the last asked */
    CHECK(qn_complete(phq, &a));
    answer(phq, &a, "44251-7", "1");
    CHECK(qn_item_visible(phq, &a, 9));
    CHECK_INT_EQ(qn_visible_count(phq, &a), 10);
    CHECK_INT_EQ(qn_next_visible(phq, &a, 8), 9);
    CHECK(!qn_complete(phq, &a));   /* the difficulty question is now unanswered */
    answer(phq, &a, "69722-7", "very");
    CHECK(qn_complete(phq, &a));
    /* Back to all "not at all": the difficulty answer is hidden and no longer counts. */
    answer(phq, &a, "44251-7", "0");
    CHECK(!qn_item_visible(phq, &a, 9));
    CHECK(qn_complete(phq, &a));

    /* The safety checklist: "which medicine" after "yes" or "not sure" only. */
    int which = qn_item_index(safety, "which-medicine");
    qn_answers_clear(&a);
    CHECK(!qn_item_visible(safety, &a, which));  /* unanswered: hidden */
    answer(safety, &a, "new-medicines", "no");
    CHECK(!qn_item_visible(safety, &a, which));
    CHECK_INT_EQ(qn_next_visible(safety, &a, which - 1), which + 1);
    answer(safety, &a, "new-medicines", "yes");
    CHECK(qn_item_visible(safety, &a, which));
    answer(safety, &a, "new-medicines", "not-sure");
    CHECK(qn_item_visible(safety, &a, which));
    CHECK_INT_EQ(qn_visible_position(safety, &a, which), 6);  /* food, drinks, escort, current, new */
    CHECK_INT_EQ(qn_prev_visible(safety, &a, which + 1), which);
    qn_set_free(set);
}

/* Which rules hold for one answer of item (others unanswered). */
static unsigned rules_for(const struct qn_form *f, const char *item, const char *value,
                          const char *pre_item, const char *pre_value)
{
    struct qn_answers a;
    unsigned mask = 0;

    qn_answers_clear(&a);
    if (pre_item)
        answer(f, &a, pre_item, pre_value);
    answer(f, &a, item, value);
    for (int r = 0; r < f->nrules; r++)
        if (qn_rule_true(f, &a, r))
            mask |= 1u << r;
    return mask;
}

static void test_rules(void)
{
    struct qn_set *set = shipped();
    REQUIRE(set != NULL);
    const struct qn_form *phq = form_named(set, "phq-9");
    const struct qn_form *safety = form_named(set, "safety-checklist");
    const struct qn_form *dis = form_named(set, "discharge-checklist");
    REQUIRE(phq && safety && dis);

    /* PHQ-9 item 9 above 0: safety, with the message. */
    REQUIRE(phq->nrules == 1);
    CHECK(phq->rules[0].calls && phq->rules[0].reason == REASON_SAFETY && phq->rules[0].message);
    CHECK_INT_EQ(phq->rules[0].priority, -1);
    CHECK_INT_EQ(rules_for(phq, "44260-8", "0", NULL, NULL), 0);
    CHECK_INT_EQ(rules_for(phq, "44260-8", "1", NULL, NULL), 1);
    CHECK_INT_EQ(rules_for(phq, "44260-8", "2", NULL, NULL), 1);
    CHECK_INT_EQ(rules_for(phq, "44260-8", "3", NULL, NULL), 1);
    CHECK_INT_EQ(rules_for(phq, "44250-9", "3", NULL, NULL), 0);  /* another item: no */

    /* The safety checklist: food, drinks, no adult escort (routine), a blunting medicine
     * (routine), chest pain or heartbeat (the help reason's priority), blood pressure. */
    REQUIRE(safety->nrules == 9);
    CHECK_INT_EQ(rules_for(safety, "food", "yes", NULL, NULL), 1u << 0);
    CHECK_INT_EQ(rules_for(safety, "food", "no", NULL, NULL), 0);
    CHECK_INT_EQ(rules_for(safety, "drinks", "yes", NULL, NULL), 1u << 1);
    CHECK_INT_EQ(rules_for(safety, "drinks", "no", NULL, NULL), 0);
    CHECK_INT_EQ(safety->rules[1].reason, REASON_HELP);
    CHECK_INT_EQ(safety->rules[1].priority, PRIO_ROUTINE);
    CHECK_INT_EQ(rules_for(safety, "escort", "no", NULL, NULL), 1u << 2);
    CHECK_INT_EQ(rules_for(safety, "escort", "taxi", NULL, NULL), 1u << 2);  /* a taxi alone */
    CHECK_INT_EQ(rules_for(safety, "escort", "not-sure", NULL, NULL), 1u << 2);
    CHECK_INT_EQ(rules_for(safety, "escort", "yes", NULL, NULL), 0);
    CHECK_INT_EQ(safety->rules[2].reason, REASON_HELP);
    CHECK_INT_EQ(safety->rules[2].priority, PRIO_ROUTINE);
    CHECK_INT_EQ(rules_for(safety, "which-medicine", "benzodiazepine", "new-medicines", "yes"), 1u << 3);
    CHECK_INT_EQ(rules_for(safety, "which-medicine", "lamotrigine", "new-medicines", "yes"), 1u << 3);
    CHECK_INT_EQ(rules_for(safety, "which-medicine", "dont-know", "new-medicines", "not-sure"), 1u << 3);
    CHECK_INT_EQ(rules_for(safety, "which-medicine", "other", "new-medicines", "yes"), 0);
    CHECK_INT_EQ(safety->rules[3].priority, PRIO_ROUTINE);
    /* Taken now: one rule per medicine, routine as the changed medicine's (issue 14, defect 3). */
    CHECK_INT_EQ(rules_for(safety, "current-medicines", "benzodiazepine", NULL, NULL), 1u << 6);
    CHECK_INT_EQ(rules_for(safety, "current-medicines", "lamotrigine", NULL, NULL), 1u << 7);
    CHECK_INT_EQ(rules_for(safety, "current-medicines", "not-sure", NULL, NULL), 1u << 8);
    CHECK_INT_EQ(rules_for(safety, "current-medicines", "none", NULL, NULL), 0);
    CHECK_INT_EQ(rules_for(safety, "current-medicines", "lamotrigine", "current-medicines",
                           "benzodiazepine"), 3u << 6);  /* both chosen: both rules */
    for (int r = 6; r < 9; r++) {
        CHECK_INT_EQ(safety->rules[r].reason, REASON_HELP);
        CHECK_INT_EQ(safety->rules[r].priority, safety->rules[3].priority);
    }
    /* Hidden (no new medicine) answers never fire a rule. */
    CHECK_INT_EQ(rules_for(safety, "which-medicine", "lamotrigine", "new-medicines", "no"), 0);
    /* Chest pain and blood pressure: two questions, two rules. */
    CHECK_INT_EQ(rules_for(safety, "chest-pain", "yes", NULL, NULL), 1u << 4);
    CHECK_INT_EQ(safety->rules[4].reason, REASON_HELP);
    CHECK_INT_EQ(safety->rules[4].priority, -1);   /* as the bundled question: help's own */
    CHECK_INT_EQ(rules_for(safety, "blood-pressure", "yes", NULL, NULL), 1u << 5);
    CHECK_INT_EQ(safety->rules[5].priority, PRIO_ROUTINE);
    CHECK_INT_EQ(rules_for(safety, "chest-pain", "no", NULL, NULL), 0);
    CHECK_INT_EQ(rules_for(safety, "blood-pressure", "no", NULL, NULL), 0);

    REQUIRE(dis->nrules == 4);
    CHECK_INT_EQ(rules_for(dis, "nausea", "yes", NULL, NULL), 1u << 0);
    CHECK_INT_EQ(rules_for(dis, "dizzy", "yes", NULL, NULL), 1u << 0);
    CHECK_INT_EQ(dis->rules[0].reason, REASON_UNWELL);
    CHECK_INT_EQ(dis->rules[0].priority, -1);
    /* "A little" sick or dizzy calls too: unwell, routine. */
    CHECK_INT_EQ(rules_for(dis, "nausea", "a-little", NULL, NULL), 1u << 1);
    CHECK_INT_EQ(rules_for(dis, "dizzy", "a-little", NULL, NULL), 1u << 1);
    CHECK_INT_EQ(dis->rules[1].reason, REASON_UNWELL);
    CHECK_INT_EQ(dis->rules[1].priority, PRIO_ROUTINE);
    CHECK_INT_EQ(rules_for(dis, "nausea", "no", NULL, NULL), 0);
    CHECK_INT_EQ(rules_for(dis, "dizzy", "no", NULL, NULL), 0);
    CHECK_INT_EQ(rules_for(dis, "escort", "no", NULL, NULL), 1u << 2);
    CHECK_INT_EQ(rules_for(dis, "no-driving", "question", NULL, NULL), 1u << 3);
    CHECK_INT_EQ(rules_for(dis, "no-driving", "yes", NULL, NULL), 0);
    qn_set_free(set);
}

/* True if any text of f (question, answer, intro) in either language contains needle. */
static bool form_says(const struct qn_form *f, const char *needle)
{
    for (int l = 0; l < QN_LANGS; l++) {
        if (strstr(qn_text(&f->intro, (enum qn_lang)l), needle))
            return true;
        for (int i = 0; i < f->nitems; i++) {
            if (strstr(qn_text(&f->items[i].text, (enum qn_lang)l), needle))
                return true;
            for (int o = 0; o < f->items[i].nopts; o++)
                if (strstr(qn_text(&f->items[i].opts[o].text, (enum qn_lang)l), needle))
                    return true;
        }
    }
    return false;
}

/* The checklists' wording (issue 14, defect 6). */
static void test_checklist_wording(void)
{
    struct qn_set *set = shipped();
    REQUIRE(set != NULL);
    const struct qn_form *safety = form_named(set, "safety-checklist");
    const struct qn_form *dis = form_named(set, "discharge-checklist");
    REQUIRE(safety && dis);
    int food = qn_item_index(safety, "food"), drinks = qn_item_index(safety, "drinks");
    int escort = qn_item_index(safety, "escort");
    int chest = qn_item_index(safety, "chest-pain"), bp = qn_item_index(safety, "blood-pressure");
    REQUIRE(food >= 0 && drinks == food + 1 && escort >= 0 && chest >= 0 && bp == chest + 1);

    /* Food and drinks, each with the clinic's hours from the form's values. */
    CHECK_STR_EQ(qn_text(&safety->items[food].text, QN_EN),
                 "Have you eaten anything in the last 3 hours?");
    CHECK_STR_EQ(qn_text(&safety->items[food].text, QN_ES),
                 "¿Ha comido algo en las últimas 3 horas?");
    CHECK_STR_EQ(qn_text(&safety->items[drinks].text, QN_EN),
                 "Have you had anything to drink in the last 2 hours?");
    CHECK_STR_EQ(qn_text(&safety->items[drinks].text, QN_ES),
                 "¿Ha tomado algo de beber en las últimas 2 horas?");
    CHECK_STR_EQ(safety->rules[0].detail, "safety checklist: ate in the last 3 hours");
    CHECK_STR_EQ(safety->rules[1].detail, "safety checklist: had a drink in the last 2 hours");
    CHECK(!form_says(safety, "{"));   /* every {name} was filled in */

    /* An adult the patient knows; a taxi alone is its own answer (and calls, test_rules). */
    CHECK(strstr(qn_text(&safety->items[escort].text, QN_EN), "adult you know") != NULL);
    CHECK(strstr(qn_text(&safety->items[escort].text, QN_ES), "adulto que usted conoce") != NULL);
    CHECK(qn_option_index(safety, escort, "taxi") >= 0);
    CHECK(strstr(qn_text(&dis->items[qn_item_index(dis, "escort")].text, QN_EN), "adult") != NULL);

    /* Chest pain is not asked with blood pressure. */
    CHECK(strstr(qn_text(&safety->items[chest].text, QN_EN), "chest pain") != NULL);
    CHECK(strstr(qn_text(&safety->items[chest].text, QN_EN), "blood pressure") == NULL);
    CHECK(strstr(qn_text(&safety->items[chest].text, QN_ES), "presión") == NULL);
    CHECK(strstr(qn_text(&safety->items[bp].text, QN_EN), "blood pressure") != NULL);
    CHECK(strstr(qn_text(&safety->items[bp].text, QN_EN), "chest") == NULL);
    CHECK(strstr(qn_text(&safety->items[bp].text, QN_ES), "pecho") == NULL);

    /* Discharge: no self-test of standing, and the patient is asked to stay seated. */
    CHECK_INT_EQ(dis->nitems, 4);
    CHECK_INT_EQ(qn_item_index(dis, "steady"), -1);
    CHECK(!form_says(dis, "steady") && !form_says(dis, "feet") && !form_says(dis, "de pie"));
    CHECK(strstr(qn_text(&dis->intro, QN_EN), "stay seated") != NULL);
    CHECK(strstr(qn_text(&dis->intro, QN_ES), "quédese sentado(a)") != NULL);
    qn_set_free(set);
}

/* The fasting hours are set once: another number in values changes question and page alike. */
static void test_values_set_once(void)
{
    char *text = hv_read_file(HAVEN_SOURCE_DIR "/config/questionnaires/safety-checklist.cfg");
    REQUIRE(text != NULL);
    char *at = strstr(text, "food_hours = 3;"), *dat = strstr(text, "drink_hours = 2;");
    REQUIRE(at && dat);
    at[strlen("food_hours = ")] = '8';
    dat[strlen("drink_hours = ")] = '4';
    const char *path = unit_file("safety-8.cfg", text);
    free(text);
    struct qn_form f;
    struct cfg_error err;
    REQUIRE(qn_form_load(path, &f, &err) == 0);
    int food = qn_item_index(&f, "food"), drinks = qn_item_index(&f, "drinks");
    CHECK_STR_EQ(qn_text(&f.items[food].text, QN_EN), "Have you eaten anything in the last 8 hours?");
    CHECK_STR_EQ(qn_text(&f.items[food].text, QN_ES), "¿Ha comido algo en las últimas 8 horas?");
    CHECK_STR_EQ(qn_text(&f.items[drinks].text, QN_EN),
                 "Have you had anything to drink in the last 4 hours?");
    CHECK_STR_EQ(qn_text(&f.items[drinks].text, QN_ES),
                 "¿Ha tomado algo de beber en las últimas 4 horas?");
    CHECK_STR_EQ(f.rules[0].detail, "safety checklist: ate in the last 8 hours");
    CHECK_STR_EQ(f.rules[1].detail, "safety checklist: had a drink in the last 4 hours");
    qn_form_free(&f);

    /* A text value, several in one text, and one next to other words. */
    path = unit_file("values.cfg", "id = \"v\";\nvalues = { h = 6; w = \"water\"; };\n"
                     "title = { en = \"{h}h: {w}, {h}\"; es = \"{w}{h}\"; };\n"
                     "answers = ( { value = \"0\"; text = \"No\"; }, { value = \"1\"; text = \"Yes\"; } );\n"
                     "items = ( { id = \"a\"; text = \"Within {h} hours?\"; } );\n");
    REQUIRE(qn_form_load(path, &f, &err) == 0);
    CHECK_STR_EQ(qn_text(&f.title, QN_EN), "6h: water, 6");
    CHECK_STR_EQ(qn_text(&f.title, QN_ES), "water6");
    CHECK_STR_EQ(qn_text(&f.items[0].text, QN_EN), "Within 6 hours?");
    qn_form_free(&f);
}

/* ---- broken forms: file:line ------------------------------------------------------------- */

#define FORM_HEAD "id = \"t\";\ntitle = \"T\";\n" \
    "answers = ( { value = \"0\"; score = 0; text = \"No\"; }, { value = \"1\"; score = 1; text = \"Yes\"; } );\n"

static void expect_form_error(const char *text, const char *what, int src_line)
{
    struct qn_form f;
    struct cfg_error err;
    const char *path = unit_file("form.cfg", text);
    int rc = qn_form_load(path, &f, &err);

    unit_expect_config_error(rc, &err, path, text, what, __FILE__, src_line);
}
#define EXPECT_FORM_ERROR(text, what) expect_form_error((text), (what), __LINE__)

static void test_loader_errors(void)
{
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = = \"a\"; text = \"A\"; } ); #!\n", "");  /* syntax */
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { text = \"A\"; } ); #!\n", "'id' is missing");
    /* the version goes into "<url>|<version>" (issue 14) */
    EXPECT_FORM_ERROR(FORM_HEAD "version = \"1|2\"; #!\nitems = ( { id = \"a\"; text = \"A\"; } );\n",
                      "'version' must be");
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\"; text = \"A\"; },\n"
                      "  { id = \"a\"; text = \"B\"; } #!\n);\n", "two items have the id 'a'");
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\";\n"
                      "  text = { es = \"solo\"; }; #!\n} );\n", "English text");
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\";\n"
                      "  text = { en = \"A\"; fr = \"B\"; }; #!\n} );\n", "unknown language 'fr'");
    EXPECT_FORM_ERROR("id = \"t\";\ntitle = \"T\";\nitems = ( { id = \"a\"; text = \"A\"; #!\n} );\n",
                      "has no answers");
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\"; text = \"A\";\n"
                      "  options = ( { value = \"x\"; text = \"X\"; },\n"
                      "              { value = \"x\"; text = \"Y\"; } ); #!\n} );\n",
                      "two answers of item 'a' have the value 'x'");
    /* show_if may only look back */
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\"; text = \"A\";\n"
                      "  show_if = { item = \"b\"; min_score = 1; }; }, #!\n"
                      "  { id = \"b\"; text = \"B\"; } );\n", "not an earlier item");
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\"; text = \"A\"; },\n"
                      "  { id = \"b\"; text = \"B\"; show_if = { item = \"a\"; answers = [ \"maybe\" ]; }; } #!\n);\n",
                      "item 'a' has no answer 'maybe'");
    /* bands: a gap, the wrong end */
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\"; text = \"A\"; }, { id = \"b\"; text = \"B\"; } );\n"
                      "scores = ( { id = \"s\"; text = \"S\"; items = [ \"a\", \"b\" ];\n"
                      "  bands = ( { from = 0; to = 0; label = \"low\"; },\n"
                      "            { from = 2; to = 2; label = \"high\"; } ); } ); #!\n",
                      "should start at 1");
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\"; text = \"A\"; }, { id = \"b\"; text = \"B\"; } );\n"
                      "scores = ( { id = \"s\"; text = \"S\"; items = [ \"a\", \"b\" ];\n"
                      "  bands = ( { from = 0; to = 1; label = \"low\"; } ); } ); #!\n",
                      "can reach 2");
    /* rules */
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\"; text = \"A\"; } );\n"
                      "rules = ( { when = { item = \"zz\"; min_score = 1; }; call = \"safety\"; } ); #!\n",
                      "'zz' is not an item");
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\"; text = \"A\"; } );\n"
                      "rules = ( { when = { item = \"a\"; min_score = 1; };\n"
                      "  call = \"kiosk_offline\"; } ); #!\n", "'call' must be");
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\"; text = \"A\"; } );\n"
                      "rules = ( { when = { item = \"a\"; min_score = 1; }; call = \"help\";\n"
                      "  priority = \"soon\"; } ); #!\n", "'priority' must be");
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\"; text = \"A\"; } );\n"
                      "rules = ( { when = { item = \"a\"; min_score = 1; }; } ); #!\n",
                      "a rule must call");
    /* a safety rule that can never fire: no answer scores 99 (issue 12 item 9) */
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\"; text = \"A\"; } );\n"
                      "rules = ( { when = { item = \"a\";\n"
                      "    min_score = 99; }; #!\n"
                      "  call = \"safety\"; message = true; } );\n",
                      "'min_score' is 99, but no answer of item 'a' scores more than 1: "
                      "this can never hold");
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\"; text = \"A\"; }, { id = \"b\"; text = \"B\"; } );\n"
                      "rules = ( { when = { items = [ \"a\", \"b\" ]; min_score = 2; }; #!\n"
                      "  call = \"safety\"; } );\n", "items 'a' (and the others) scores more than 1");
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\"; text = \"A\"; },\n"
                      "  { id = \"b\"; text = \"B\"; show_if = { item = \"a\"; min_score = 5; }; } #!\n);\n",
                      "can never hold");
    /* values: a {name} the form does not define, an unclosed one, a bad value */
    EXPECT_FORM_ERROR(FORM_HEAD "values = { food_hours = 6; };\n"
                      "items = ( { id = \"a\";\n"
                      "  text = \"In the last {food_hour} hours?\"; } ); #!\n",
                      "'{food_hour}' in a text: the form has no such value");
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\";\n"
                      "  text = { en = \"A\"; es = \"{h} horas\"; }; } ); #!\n",
                      "'{h}' in a text: the form has no such value");
    EXPECT_FORM_ERROR(FORM_HEAD "values = { h = 6; };\nitems = ( { id = \"a\";\n"
                      "  text = \"In {h hours\"; } ); #!\n", "'{h hours' in a text");
    EXPECT_FORM_ERROR(FORM_HEAD "values = { h = 6; };\nitems = ( { id = \"a\"; text = \"A\"; } );\n"
                      "rules = ( { when = { item = \"a\"; answers = [ \"1\" ]; }; call = \"help\";\n"
                      "  detail = \"ate in {hh} hours\"; } ); #!\n", "'{hh}' in a text");
    EXPECT_FORM_ERROR("values = {\n  h = -1; #!\n};\n" FORM_HEAD
                      "items = ( { id = \"a\"; text = \"A\"; } );\n",
                      "value 'h' must be a whole number 0..1000");
    EXPECT_FORM_ERROR("values = [ 1 ]; #!\n" FORM_HEAD "items = ( { id = \"a\"; text = \"A\"; } );\n",
                      "'values' must be a group");
}

/* A phase naming a form that is not there: the line in haven.cfg. */
static void test_set_errors(void)
{
    const char *text =
        "kiosk = {\n"
        "  questionnaires = {\n"
        "    dir = \"forms\";\n"
        "    intake = [ \"nope\" ]; #!\n"
        "    crisis_line = \"call 988\";\n"
        "  };\n"
        "};\n";
    struct qn_set *set = (struct qn_set *)1;
    struct cfg_error err;
    const char *path = unit_file("haven.cfg", text);
    int rc = qn_set_load(path, &set, &err);

    unit_expect_config_error(rc, &err, path, text, "form 'nope': cannot read", __FILE__, __LINE__);
    CHECK(set == NULL);

    /* No questionnaires group: an empty set, no error. */
    path = unit_file("haven.cfg", "kiosk = { dpi = 96; };\n");
    REQUIRE(qn_set_load(path, &set, &err) == 0);
    CHECK(set != NULL && set->nforms == 0);
    qn_set_free(set);
}

/* ---- the run ------------------------------------------------------------------------------- */

static int apply(struct run *r, enum run_ev_kind k, const char *item, const char *value,
                 struct run_effects *fx)
{
    struct run_event ev = run_ev(k, r->cur);
    snprintf(ev.item, sizeof ev.item, "%s", item ? item : "");
    snprintf(ev.value, sizeof ev.value, "%s", value ? value : "");
    return run_apply(r, &ev, fx);
}

static void test_run_walk(void)
{
    struct qn_set *set = shipped();
    REQUIRE(set != NULL);
    struct run r;
    struct run_effects fx;

    run_init(&r, set, PHASE_INFUSION);
    CHECK_INT_EQ(r.view, RUN_NONE);
    run_init(&r, set, PHASE_INTAKE);
    CHECK_INT_EQ(r.view, RUN_INTRO);
    CHECK_INT_EQ(r.nforms, 3);
    /* Skip the checklist quickly: no, no, yes, no, no, no. */
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "food", "no", &fx), HV_EINVAL);  /* not started */
    CHECK_INT_EQ(apply(&r, EV_START, NULL, NULL, &fx), 0);
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "food", "no", &fx), 0);
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "drinks", "no", &fx), 0);
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "escort", "yes", &fx), 0);
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "current-medicines", "none", &fx), 0);
    CHECK_INT_EQ(apply(&r, EV_NEXT, NULL, NULL, &fx), 0);
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "new-medicines", "no", &fx), 0);
    CHECK_STR_EQ(run_form(&r)->items[r.item].id, "chest-pain");  /* which-medicine skipped */
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "chest-pain", "no", &fx), 0);
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "blood-pressure", "no", &fx), 0);
    CHECK_INT_EQ(r.view, RUN_REVIEW);
    /* From the review, back to "escort" and a changed answer: straight back to the review... */
    for (int i = 0; i < 5; i++)
        CHECK_INT_EQ(apply(&r, EV_BACK, NULL, NULL, &fx), 0);
    CHECK_STR_EQ(run_form(&r)->items[r.item].id, "escort");
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "escort", "no", &fx), 0);
    CHECK_INT_EQ(fx.nrules, 1);  /* no escort: its rule */
    CHECK_INT_EQ(r.view, RUN_REVIEW);
    /* ...unless the change brings a new question into play: that one is asked first. */
    for (int i = 0; i < 3; i++)
        CHECK_INT_EQ(apply(&r, EV_BACK, NULL, NULL, &fx), 0);
    CHECK_STR_EQ(run_form(&r)->items[r.item].id, "new-medicines");
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "new-medicines", "yes", &fx), 0);
    CHECK_STR_EQ(run_form(&r)->items[r.item].id, "which-medicine");
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "which-medicine", "other", &fx), 0);
    CHECK_INT_EQ(r.view, RUN_QUESTION);  /* multiple choice: Next confirms */
    CHECK_INT_EQ(apply(&r, EV_NEXT, NULL, NULL, &fx), 0);
    CHECK_INT_EQ(r.view, RUN_REVIEW);
    CHECK_INT_EQ(apply(&r, EV_SUBMIT, NULL, NULL, &fx), 0);
    CHECK(fx.submitted && fx.form == 0);
    CHECK_INT_EQ(r.view, RUN_INTRO);
    CHECK_STR_EQ(run_form(&r)->id, "phq-9");
    /* PHQ-9: items 1..8 "several days", item 9 "several days": the rule, then the message. */
    CHECK_INT_EQ(apply(&r, EV_START, NULL, NULL, &fx), 0);
    const struct qn_form *f = run_form(&r);
    for (int i = 0; i < 8; i++) {
        CHECK_INT_EQ(apply(&r, EV_ANSWER, f->items[i].id, "1", &fx), 0);
        CHECK_INT_EQ(fx.nrules, 0);
    }
    CHECK_INT_EQ(r.item, 8);
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "44260-8", "1", &fx), 0);
    CHECK_INT_EQ(fx.nrules, 1);
    CHECK_INT_EQ(r.view, RUN_MESSAGE);
    CHECK_INT_EQ(apply(&r, EV_NEXT, NULL, NULL, &fx), 0);
    CHECK_INT_EQ(r.view, RUN_QUESTION);
    CHECK_INT_EQ(r.item, 9);  /* the difficulty question (problems were checked) */
    /* Back to item 9 and a changed answer: the rule has acted already, it does not again. */
    CHECK_INT_EQ(apply(&r, EV_BACK, NULL, NULL, &fx), 0);
    CHECK_INT_EQ(r.item, 8);
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "44260-8", "2", &fx), 0);
    CHECK_INT_EQ(fx.nrules, 0);
    CHECK_INT_EQ(r.view, RUN_QUESTION);
    CHECK_INT_EQ(apply(&r, EV_SUBMIT, NULL, NULL, &fx), HV_EINVAL);  /* not at the review */
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "69722-7", "somewhat", &fx), 0);
    CHECK_INT_EQ(r.view, RUN_REVIEW);
    bool complete;
    CHECK_INT_EQ(qn_score_sum(f, &r.ans[1], 0, &complete), 10);
    CHECK(complete);
    CHECK_INT_EQ(apply(&r, EV_SUBMIT, NULL, NULL, &fx), 0);
    CHECK_STR_EQ(run_form(&r)->id, "gad-7");
    CHECK_INT_EQ(apply(&r, EV_START, NULL, NULL, &fx), 0);
    for (int i = 0; i < 7; i++)
        CHECK_INT_EQ(apply(&r, EV_ANSWER, run_form(&r)->items[i].id, "0", &fx), 0);
    CHECK_INT_EQ(r.view, RUN_REVIEW);  /* no difficulty question: nothing was checked */
    CHECK_INT_EQ(apply(&r, EV_SUBMIT, NULL, NULL, &fx), 0);
    CHECK_INT_EQ(r.view, RUN_DONE);
    CHECK(run_form(&r) == NULL);
    qn_set_free(set);
}

struct replay {
    struct run *r;
};

static void replay_cb(void *ud, const struct run_event *ev)
{
    struct replay *rp = ud;
    run_apply(rp->r, ev, NULL);
}

/* Taps journaled, the "kiosk" gone, a fresh run from the journal: the same place. */
static void test_journal_resume(void)
{
    struct qn_set *set = shipped();
    REQUIRE(set != NULL);
    char path[600];
    snprintf(path, sizeof path, "%s/journal.db", unit_dir());
    struct journal *j = journal_open(path);
    REQUIRE(j != NULL);
    struct run live, back;
    const char *steps[][3] = {
        { "start", "", "" }, { "answer", "food", "no" }, { "answer", "drinks", "no" },
        { "answer", "escort", "no" },
        { "back", "", "" }, { "answer", "escort", "yes" },
        { "answer", "current-medicines", "lamotrigine" }, { "next", "", "" },
        { "answer", "new-medicines", "yes" },
        /* on "which-medicine", two chosen and one taken back, not confirmed yet */
        { "answer", "which-medicine", "benzodiazepine" }, { "answer", "which-medicine", "other" },
        { "answer", "which-medicine", "lamotrigine" }, { "answer", "which-medicine", "other" },
    };

    run_init(&live, set, PHASE_INTAKE);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        struct run_event ev = run_ev((enum run_ev_kind)run_ev_kind_from_name(steps[i][0]), live.cur);
        snprintf(ev.item, sizeof ev.item, "%s", steps[i][1]);
        snprintf(ev.value, sizeof ev.value, "%s", steps[i][2]);
        CHECK_INT_EQ(run_apply(&live, &ev, NULL), 0);
        CHECK_INT_EQ(journal_append(j, "V-1", PHASE_INTAKE, &ev, 1000 + (int64_t)i), 0);
    }
    journal_close(j);

    j = journal_open(path);
    REQUIRE(j != NULL);
    run_init(&back, set, PHASE_INTAKE);
    struct replay rp = { &back };
    CHECK_INT_EQ(journal_load(j, "V-1", PHASE_INTAKE, replay_cb, &rp), 13);
    CHECK_INT_EQ(back.view, live.view);
    CHECK_INT_EQ(back.item, live.item);
    CHECK_STR_EQ(run_form(&back)->items[back.item].id, "which-medicine");
    CHECK(memcmp(&back.ans[0], &live.ans[0], sizeof back.ans[0]) == 0);
    /* The sets too: lamotrigine taken now (confirmed); benzodiazepine and lamotrigine
     * chosen on the screen left, not yet confirmed. */
    const struct qn_form *sf = run_form(&back);
    int cur = qn_item_index(sf, "current-medicines"), which = qn_item_index(sf, "which-medicine");
    CHECK_INT_EQ(qn_answer_mask(sf, &back.ans[0], cur), 1u << qn_option_index(sf, cur, "lamotrigine"));
    CHECK_INT_EQ(back.ans[0].sel[which], (1u << qn_option_index(sf, which, "benzodiazepine")) |
                                             (1u << qn_option_index(sf, which, "lamotrigine")));
    CHECK(!qn_answered(sf, &back.ans[0], which));
    /* Another visit and another phase see nothing; a closed run starts afresh. */
    CHECK_INT_EQ(journal_load(j, "V-2", PHASE_INTAKE, replay_cb, &rp), 0);
    CHECK_INT_EQ(journal_load(j, "V-1", PHASE_DISCHARGE, replay_cb, &rp), 0);
    CHECK_INT_EQ(journal_close_run(j, "V-1", PHASE_INTAKE), 0);
    CHECK_INT_EQ(journal_load(j, "V-1", PHASE_INTAKE, replay_cb, &rp), 0);
    CHECK_INT_EQ(journal_forget(j, "V-1"), 0);
    journal_close(j);
    qn_set_free(set);
}

/*
 * Issue 14, defect 2: an answer that set a rule off is kept with the time it
 * was given when the patient changes it, across a restart (the journal's
 * times), and goes out as the rule-answer extension on its item.
 */
static void test_fired_answer_kept(void)
{
    struct qn_set *set = shipped();
    REQUIRE(set != NULL);
    char path[600];
    snprintf(path, sizeof path, "%s/journal-fired.db", unit_dir());
    struct journal *j = journal_open(path);
    REQUIRE(j != NULL);
    struct run live, back;
    const char *steps[][3] = {
        { "start", "", "" }, { "answer", "food", "yes" }, { "back", "", "" },
        { "answer", "food", "no" },
    };

    run_init(&live, set, PHASE_INTAKE);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        struct run_event ev = run_ev((enum run_ev_kind)run_ev_kind_from_name(steps[i][0]), live.cur);
        snprintf(ev.item, sizeof ev.item, "%s", steps[i][1]);
        snprintf(ev.value, sizeof ev.value, "%s", steps[i][2]);
        ev.ms = 1796651587000LL + (int64_t)i * 1000;
        CHECK_INT_EQ(run_apply(&live, &ev, NULL), 0);
        CHECK_INT_EQ(journal_append(j, "V-F", PHASE_INTAKE, &ev, ev.ms), 0);
    }
    const struct qn_form *f = run_form(&live);
    REQUIRE(f != NULL);
    int food = qn_item_index(f, "food");
    CHECK_INT_EQ(live.ans[0].opt[food], qn_option_index(f, food, "no"));
    CHECK(live.fired_by[0][0].set);                       /* rule 1: ate in the last hours */
    CHECK_INT_EQ(live.fired_by[0][0].item, food);
    CHECK_INT_EQ(live.fired_by[0][0].opt, qn_option_index(f, food, "yes"));
    CHECK_INT_EQ(live.fired_by[0][0].ms, 1796651588000LL);
    journal_close(j);

    j = journal_open(path);
    REQUIRE(j != NULL);
    run_init(&back, set, PHASE_INTAKE);
    struct replay rp = { &back };
    CHECK_INT_EQ(journal_load(j, "V-F", PHASE_INTAKE, replay_cb, &rp), 4);
    CHECK(back.fired_by[0][0].set);                       /* the same, with its time */
    CHECK_INT_EQ(back.fired_by[0][0].item, live.fired_by[0][0].item);
    CHECK_INT_EQ(back.fired_by[0][0].opt, live.fired_by[0][0].opt);
    CHECK_INT_EQ(back.fired_by[0][0].ms, live.fired_by[0][0].ms);
    journal_forget(j, "V-F");
    journal_close(j);

    struct fhir_meta m = { .id = "resp-f", .visit = "V-F", .room = "chair-1", .lang = QN_EN,
                           .completed = false, .authored_ms = 1796651590000LL,
                           .fired = back.fired_by[0] };
    char *json = fhir_encode_response(f, &back.ans[0], &m);
    REQUIRE(json != NULL);
    CHECK(strstr(json, "\"url\":\"https://haven.invalid/fhir/StructureDefinition/rule-answer\"") != NULL);
    CHECK(strstr(json, "{\"url\":\"answer\",\"valueCoding\":{\"system\":\"http://loinc.org\","
                       "\"code\":\"LA33-6\",\"display\":\"Yes\"}}") != NULL);
    CHECK(strstr(json, "{\"url\":\"answered\",\"valueDateTime\":\"2026-12-07T13:53:08.000Z\"}") != NULL);
    CHECK(strstr(json, "{\"url\":\"rule\",\"valueInteger\":1}") != NULL);
    CHECK(strstr(json, "{\"url\":\"changed\",\"valueBoolean\":true}") != NULL);
    CHECK(strstr(json, "urn:haven:call") == NULL);        /* not known after a restart */
    CHECK(strstr(json, "\"code\":\"LA32-8\"") != NULL);   /* the answer now: No */
    free(json);
    qn_set_free(set);
}

/* ---- multiple choice and the infusion (issue 14, defect 3) -------------------------------- */

/* A tap toggles; an exclusive option clears the others and they it; Next confirms, and the
 * rules of every option chosen act then, each once. */
static void test_multiple_choice(void)
{
    struct qn_set *set = shipped();
    REQUIRE(set != NULL);
    struct run r;
    struct run_effects fx;

    run_init(&r, set, PHASE_INTAKE);
    run_set_infusion(&r, 1);
    const struct qn_form *f = run_form(&r);
    int cur = qn_item_index(f, "current-medicines");
    REQUIRE(cur >= 0 && f->items[cur].multiple);
    unsigned benzo = 1u << qn_option_index(f, cur, "benzodiazepine");
    unsigned lamo = 1u << qn_option_index(f, cur, "lamotrigine");
    unsigned none = 1u << qn_option_index(f, cur, "none");
    CHECK(f->items[cur].opts[qn_option_index(f, cur, "none")].exclusive);
    CHECK_INT_EQ(apply(&r, EV_START, NULL, NULL, &fx), 0);
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "food", "no", &fx), 0);
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "drinks", "no", &fx), 0);
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "escort", "yes", &fx), 0);
    CHECK_STR_EQ(f->items[r.item].id, "current-medicines");
    CHECK_INT_EQ(apply(&r, EV_NEXT, NULL, NULL, &fx), HV_EINVAL);  /* nothing chosen */

    /* Two taps, two options; no rule yet (the set is not confirmed), still on the question. */
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "current-medicines", "benzodiazepine", &fx), 0);
    CHECK_INT_EQ(fx.nrules, 0);
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "current-medicines", "lamotrigine", &fx), 0);
    CHECK_INT_EQ(fx.nrules, 0);
    CHECK_INT_EQ(r.view, RUN_QUESTION);
    CHECK_STR_EQ(f->items[r.item].id, "current-medicines");
    CHECK_INT_EQ(r.ans[0].sel[cur], benzo | lamo);
    CHECK(!qn_answered(f, &r.ans[0], cur));
    CHECK_INT_EQ(qn_answer_mask(f, &r.ans[0], cur), 0);
    /* A second tap takes one back; "None of these" clears the rest; another clears it. */
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "current-medicines", "lamotrigine", &fx), 0);
    CHECK_INT_EQ(r.ans[0].sel[cur], benzo);
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "current-medicines", "none", &fx), 0);
    CHECK_INT_EQ(r.ans[0].sel[cur], none);
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "current-medicines", "lamotrigine", &fx), 0);
    CHECK_INT_EQ(r.ans[0].sel[cur], lamo);
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "current-medicines", "benzodiazepine", &fx), 0);
    CHECK_INT_EQ(r.ans[0].sel[cur], benzo | lamo);

    /* Next: answered, both medicines' rules at once, on to the next question. */
    CHECK_INT_EQ(apply(&r, EV_NEXT, NULL, NULL, &fx), 0);
    CHECK(qn_answered(f, &r.ans[0], cur));
    CHECK_INT_EQ(qn_answer_mask(f, &r.ans[0], cur), benzo | lamo);
    CHECK_INT_EQ(fx.nrules, 2);
    CHECK_STR_EQ(f->rules[fx.rules[0]].detail,
                 "safety checklist: takes a benzodiazepine (may blunt the treatment)");
    CHECK_STR_EQ(f->rules[fx.rules[1]].detail,
                 "safety checklist: takes lamotrigine (may blunt the treatment)");
    CHECK_INT_EQ(f->rules[fx.rules[0]].priority, PRIO_ROUTINE);
    CHECK_STR_EQ(f->items[r.item].id, "chest-pain");  /* a first infusion: no "since last visit" */

    /* Back, one taken away and one more: asked again until Next; a rule acts only once. */
    CHECK_INT_EQ(apply(&r, EV_BACK, NULL, NULL, &fx), 0);
    CHECK_STR_EQ(f->items[r.item].id, "current-medicines");
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "current-medicines", "lamotrigine", &fx), 0);
    CHECK(!qn_answered(f, &r.ans[0], cur));
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "current-medicines", "not-sure", &fx), 0);
    CHECK_INT_EQ(apply(&r, EV_NEXT, NULL, NULL, &fx), 0);
    CHECK_INT_EQ(fx.nrules, 1);   /* "not sure": its own rule; benzodiazepine had acted */
    CHECK_STR_EQ(f->rules[fx.rules[0]].detail,
                 "safety checklist: not sure if they take a benzodiazepine or lamotrigine");
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "chest-pain", "no", &fx), 0);
    CHECK_INT_EQ(apply(&r, EV_ANSWER, "blood-pressure", "no", &fx), 0);
    CHECK_INT_EQ(r.view, RUN_REVIEW);
    CHECK(qn_complete(f, &r.ans[0]));

    /* The response: one answer per option chosen, in the form's order. */
    struct fhir_meta m = { "resp-2", "V-1", "chair-1", QN_EN, true, 1795010587412LL, NULL, NULL };
    char *json = fhir_encode_response(f, &r.ans[0], &m);
    REQUIRE(json != NULL);
    cJSON *root = cJSON_Parse(json), *found = NULL, *it;
    REQUIRE(root != NULL);
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(root, "item"))
        if (strcmp(cJSON_GetObjectItem(it, "linkId")->valuestring, "current-medicines") == 0)
            found = it;
    REQUIRE(found != NULL);
    cJSON *answers = cJSON_GetObjectItem(found, "answer");
    CHECK_INT_EQ(cJSON_GetArraySize(answers), 2);
    CHECK_STR_EQ(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(answers, 0), "valueCoding"),
                                     "code")->valuestring, "benzodiazepine");
    CHECK_STR_EQ(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(answers, 1), "valueCoding"),
                                     "code")->valuestring, "not-sure");
    CHECK(strstr(json, "new-medicines") == NULL);  /* hidden at a first infusion */
    cJSON_Delete(root);
    free(json);
    CHECK_INT_EQ(apply(&r, EV_SUBMIT, NULL, NULL, &fx), 0);
    qn_set_free(set);
}

/* "Since your last visit" only when this may not be the first infusion; "now" always. */
static void test_infusion_show_if(void)
{
    struct qn_set *set = shipped();
    REQUIRE(set != NULL);
    const struct qn_form *f = form_named(set, "safety-checklist");
    REQUIRE(f != NULL);
    int cur = qn_item_index(f, "current-medicines"), since = qn_item_index(f, "new-medicines");
    int which = qn_item_index(f, "which-medicine");
    struct qn_answers a;
    static const struct { int infusion; bool since; } cases[] = {
        { 0, true }, { 1, false }, { 2, true }, { 6, true },
    };

    REQUIRE(cur >= 0 && since > cur && which > since);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        qn_answers_clear(&a);
        a.infusion = cases[c].infusion;
        CHECK(qn_item_visible(f, &a, cur));
        CHECK_INT_EQ(qn_item_visible(f, &a, since), cases[c].since);
        answer(f, &a, "new-medicines", "yes");
        CHECK_INT_EQ(qn_item_visible(f, &a, which), cases[c].since);  /* hidden behind it too */
        CHECK_INT_EQ(qn_answer_mask(f, &a, since) != 0, cases[c].since);
    }
    /* A first infusion: a "changed" answer left over from a replay never pages. */
    qn_answers_clear(&a);
    a.infusion = 1;
    answer(f, &a, "new-medicines", "yes");
    answer(f, &a, "which-medicine", "lamotrigine");
    CHECK(!qn_rule_true(f, &a, 3));
    CHECK(qn_text(&f->items[cur].text, QN_ES)[0] && f->items[cur].text.s[QN_ES]);

    /* A run: the number given before the start reaches every form's answers. */
    struct run r;
    run_init(&r, set, PHASE_INTAKE);
    run_set_infusion(&r, 3);
    CHECK_INT_EQ(r.ans[0].infusion, 3);
    CHECK_INT_EQ(r.ans[2].infusion, 3);
    run_set_infusion(&r, -4);
    CHECK_INT_EQ(r.ans[1].infusion, 0);
    qn_set_free(set);
}

#define MULTI_ITEM "items = ( { id = \"m\"; text = \"M\"; multiple = true;\n" \
    "  options = ( { value = \"a\"; text = \"A\"; }, { value = \"b\"; text = \"B\"; },\n" \
    "              { value = \"n\"; text = \"None\"; exclusive = true; } ); }"

static void test_multiple_loader_errors(void)
{
    /* exclusive needs multiple choice; not every option exclusive */
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\"; text = \"A\";\n"
                      "  options = ( { value = \"x\"; text = \"X\"; exclusive = true; }, #!\n"
                      "              { value = \"y\"; text = \"Y\"; } );\n} );\n",
                      "'exclusive' is for the options of a multiple = true item");
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\"; text = \"A\"; multiple = true;\n"
                      "  options = ( { value = \"x\"; text = \"X\"; exclusive = true; }, #!\n"
                      "              { value = \"y\"; text = \"Y\"; exclusive = true; } );\n} );\n",
                      "every option is exclusive");
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\"; text = \"A\"; multiple = \"yes\"; #!\n} );\n",
                      "'multiple' must be true or false");
    /* a score counts one answer per item */
    EXPECT_FORM_ERROR(FORM_HEAD MULTI_ITEM " );\n"
                      "scores = ( { id = \"s\"; text = \"S\"; items = [ \"m\" ]; } ); #!\n",
                      "is multiple choice");
    /* infusion: show_if only, alone, known words */
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\"; text = \"A\"; } );\n"
                      "rules = ( { when = { infusion = \"first\"; }; call = \"help\"; } ); #!\n",
                      "'infusion' is for show_if only");
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\"; text = \"A\"; },\n"
                      "  { id = \"b\"; text = \"B\"; show_if = { infusion = \"second\"; }; } #!\n);\n",
                      "'infusion' must be \"first\", \"later\" or \"unknown\"");
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\"; text = \"A\"; },\n"
                      "  { id = \"b\"; text = \"B\";\n"
                      "    show_if = { infusion = \"later\"; item = \"a\"; answers = [ \"1\" ]; }; } #!\n);\n",
                      "stands alone");
    EXPECT_FORM_ERROR(FORM_HEAD "items = ( { id = \"a\"; text = \"A\"; },\n"
                      "  { id = \"b\"; text = \"B\"; show_if = { infusion = [ ]; }; } #!\n);\n",
                      "needs at least one");

    /* A good one: a rule on a multiple choice item, the set's options matched one by one. */
    const char *path = unit_file("form.cfg", FORM_HEAD MULTI_ITEM ",\n"
                                 "  { id = \"z\"; text = \"Z\"; show_if = { infusion = [ \"first\" ]; }; } );\n"
                                 "rules = ( { when = { item = \"m\"; answers = [ \"b\" ]; }; call = \"help\"; } );\n");
    struct qn_form f;
    struct cfg_error err;
    struct qn_answers a;
    REQUIRE(qn_form_load(path, &f, &err) == 0);
    CHECK(f.items[0].multiple && !f.items[0].opts[0].exclusive && f.items[0].opts[2].exclusive);
    CHECK_INT_EQ(f.items[1].show_if.infusion, QN_INF_FIRST);
    qn_answers_clear(&a);
    qn_toggle(&f, &a, 0, 0);
    qn_toggle(&f, &a, 0, 1);
    CHECK(!qn_rule_true(&f, &a, 0));   /* not confirmed */
    CHECK(qn_confirm(&f, &a, 0));
    CHECK(qn_rule_true(&f, &a, 0));
    qn_toggle(&f, &a, 0, 2);           /* "None": the others go, and the rule no longer holds */
    CHECK_INT_EQ(a.sel[0], 1u << 2);
    CHECK(qn_confirm(&f, &a, 0));
    CHECK(!qn_rule_true(&f, &a, 0));
    qn_toggle(&f, &a, 0, 2);           /* nothing left: unanswered */
    CHECK(!qn_confirm(&f, &a, 0));
    CHECK(!qn_item_visible(&f, &a, 1));  /* infusion 0 (not known) is not "first" */
    a.infusion = 1;
    CHECK(qn_item_visible(&f, &a, 1));
    qn_form_free(&f);
}

/* ---- FHIR ------------------------------------------------------------------------------------ */

static void test_fhir_phq9(void)
{
    struct qn_set *set = shipped();
    REQUIRE(set != NULL);
    const struct qn_form *f = form_named(set, "phq-9");
    REQUIRE(f != NULL);
    struct qn_answers a;
    answers_summing(f, 11, &a);  /* 3,3,3,2,0,...: item 9 is 0 */
    answer(f, &a, "69722-7", "very");
    struct fhir_meta m = { "resp-1", "V-1042", "chair-1", QN_ES, true, 1795010587412LL, "P-8c1f", NULL };
    char *json = fhir_encode_response(f, &a, &m);
    REQUIRE(json != NULL);
    CHECK(strlen(json) < 65536);
    fprintf(stderr, "  a completed PHQ-9 in Spanish: %zu bytes\n", strlen(json));
    cJSON *root = cJSON_Parse(json);
    REQUIRE(root != NULL);
    CHECK_STR_EQ(cJSON_GetObjectItem(root, "resourceType")->valuestring, "QuestionnaireResponse");
    CHECK_STR_EQ(cJSON_GetObjectItem(root, "status")->valuestring, "completed");
    CHECK_STR_EQ(cJSON_GetObjectItem(root, "id")->valuestring, "resp-1");
    CHECK_STR_EQ(cJSON_GetObjectItem(root, "language")->valuestring, "es");
    CHECK_STR_EQ(cJSON_GetObjectItem(root, "questionnaire")->valuestring,
                 "https://haven.invalid/fhir/Questionnaire/phq-9|1");  /* Haven's (issue 14) */
    CHECK_STR_EQ(cJSON_GetObjectItem(root, "authored")->valuestring, "2026-11-18T14:03:07.412Z");
    cJSON *ident = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "encounter"), "identifier");
    CHECK_STR_EQ(cJSON_GetObjectItem(ident, "system")->valuestring, "urn:haven:visit");
    CHECK_STR_EQ(cJSON_GetObjectItem(ident, "value")->valuestring, "V-1042");
    ident = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "subject"), "identifier");
    CHECK_STR_EQ(cJSON_GetObjectItem(ident, "system")->valuestring, "urn:haven:patient");
    CHECK_STR_EQ(cJSON_GetObjectItem(ident, "value")->valuestring, "P-8c1f");
    cJSON *items = cJSON_GetObjectItem(root, "item");
    CHECK_INT_EQ(cJSON_GetArraySize(items), 12);  /* 10 answers, the total, its band */
    cJSON *first = cJSON_GetArrayItem(items, 0);
    CHECK_STR_EQ(cJSON_GetObjectItem(first, "linkId")->valuestring, "44250-9");
    CHECK_STR_EQ(cJSON_GetObjectItem(first, "text")->valuestring, "Poco interés o placer en hacer cosas");
    cJSON *coding = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(first, "answer"), 0),
                                        "valueCoding");
    CHECK_STR_EQ(cJSON_GetObjectItem(coding, "system")->valuestring, "http://loinc.org");
    CHECK_STR_EQ(cJSON_GetObjectItem(coding, "code")->valuestring, "LA6571-9");
    CHECK_STR_EQ(cJSON_GetObjectItem(coding, "display")->valuestring, "Casi todos los días");
    cJSON *diff = cJSON_GetArrayItem(items, 9);
    CHECK_STR_EQ(cJSON_GetObjectItem(diff, "linkId")->valuestring, "69722-7");
    coding = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(diff, "answer"), 0), "valueCoding");
    CHECK_STR_EQ(cJSON_GetObjectItem(coding, "code")->valuestring, "LA6575-0");
    cJSON *total = cJSON_GetArrayItem(items, 10);
    CHECK_STR_EQ(cJSON_GetObjectItem(total, "linkId")->valuestring, "44261-6");
    CHECK_INT_EQ(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(total, "answer"), 0),
                                     "valueInteger")->valueint, 11);
    cJSON *band = cJSON_GetArrayItem(items, 11);
    CHECK_STR_EQ(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(band, "answer"), 0),
                                     "valueString")->valuestring, "Moderada");
    CHECK(strstr(json, "name") == NULL);  /* nothing that could hold a person's name */
    cJSON_Delete(root);
    free(json);

    /* Stopped part-way: the answers given, no score. */
    qn_answers_clear(&a);
    answer(f, &a, "44250-9", "2");
    m.completed = false;
    m.lang = QN_EN;
    m.patient = NULL;  /* not known: no subject */
    json = fhir_encode_response(f, &a, &m);
    REQUIRE(json != NULL);
    root = cJSON_Parse(json);
    REQUIRE(root != NULL);
    CHECK_STR_EQ(cJSON_GetObjectItem(root, "status")->valuestring, "stopped");
    CHECK_INT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(root, "item")), 1);
    CHECK(strstr(json, "44261-6") == NULL);
    CHECK(cJSON_GetObjectItem(root, "subject") == NULL);
    cJSON_Delete(root);
    free(json);
    qn_set_free(set);
}

int main(void)
{
    RUN(test_shipped_set);
    RUN(test_phq9_bands);
    RUN(test_gad7_bands);
    RUN(test_skip_logic);
    RUN(test_rules);
    RUN(test_checklist_wording);
    RUN(test_values_set_once);
    RUN(test_loader_errors);
    RUN(test_set_errors);
    RUN(test_run_walk);
    RUN(test_journal_resume);
    RUN(test_fhir_phq9);
    RUN(test_fired_answer_kept);
    RUN(test_multiple_choice);
    RUN(test_infusion_show_if);
    RUN(test_multiple_loader_errors);
    unit_cleanup();
    return CHECK_SUMMARY();
}
