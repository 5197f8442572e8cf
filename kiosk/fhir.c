/*
 * fhir.c - QuestionnaireResponse encoding with cJSON (fhir.h).
 *
 *   { "resourceType": "QuestionnaireResponse", "id": "resp-...", "language": "es",
 *     "questionnaire": "http://loinc.org/q/44249-1", "status": "completed",
 *     "subject": { "identifier": { "system": "urn:haven:visit", "value": "V-1042" } },
 *     "authored": "2026-11-21T14:03:07.412Z",
 *     "item": [ { "linkId": "44250-9", "text": "...",
 *                 "answer": [ { "valueCoding": { "system": "http://loinc.org",
 *                                                "code": "LA6569-3", "display": "..." } } ] },
 *               ...,
 *               { "linkId": "44261-6", "text": "...", "answer": [ { "valueInteger": 7 } ] },
 *               { "linkId": "44261-6-band", "answer": [ { "valueString": "Mild" } ] } ] }
 */
#include "fhir.h"
#include "clock.h"
#include "mqtt.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const lang_codes[QN_LANGS] = { "en", "es" };

/* {"linkId": id, "text": text} added to items, or NULL. */
static cJSON *item_obj(cJSON *items, const char *id, const char *text)
{
    cJSON *it = cJSON_CreateObject();

    if (!it)
        return NULL;
    cJSON_AddItemToArray(items, it);
    cJSON_AddStringToObject(it, "linkId", id);
    if (text && text[0])
        cJSON_AddStringToObject(it, "text", text);
    return it;
}

/* "answer": [ {} ] on it; returns the one answer object. */
static cJSON *answer_obj(cJSON *it)
{
    cJSON *arr = cJSON_AddArrayToObject(it, "answer"), *ans = cJSON_CreateObject();

    if (!arr || !ans) {
        cJSON_Delete(ans);
        return NULL;
    }
    cJSON_AddItemToArray(arr, ans);
    return ans;
}

static void add_answer(cJSON *items, const struct qn_item *q, const struct qn_option *o,
                       enum qn_lang lang, bool texts)
{
    cJSON *it = item_obj(items, q->id, texts ? qn_text(&q->text, lang) : NULL);
    cJSON *ans = it ? answer_obj(it) : NULL;
    cJSON *coding = ans ? cJSON_AddObjectToObject(ans, "valueCoding") : NULL;

    if (!coding)
        return;
    if (o->code) {
        cJSON_AddStringToObject(coding, "system", o->system);
        cJSON_AddStringToObject(coding, "code", o->code);
    } else {
        cJSON_AddStringToObject(coding, "code", o->value);  /* the form's own answer value */
    }
    cJSON_AddStringToObject(coding, "display", qn_text(&o->text, lang));
}

static void add_scores(cJSON *items, const struct qn_form *f, const struct qn_answers *a,
                       enum qn_lang lang, bool texts)
{
    for (int s = 0; s < f->nscores; s++) {
        bool complete;
        int sum = qn_score_sum(f, a, s, &complete);
        const struct qn_band *b = qn_score_band(f, s, sum);
        char band_id[96];
        cJSON *it = item_obj(items, f->scores[s].id, texts ? qn_text(&f->scores[s].text, lang) : NULL);
        cJSON *ans = it ? answer_obj(it) : NULL;
        if (ans)
            cJSON_AddNumberToObject(ans, "valueInteger", sum);
        if (!b)
            continue;
        snprintf(band_id, sizeof band_id, "%s-band", f->scores[s].id);
        it = item_obj(items, band_id, NULL);
        ans = it ? answer_obj(it) : NULL;
        if (ans)
            cJSON_AddStringToObject(ans, "valueString", qn_text(&b->label, lang));
    }
}

static cJSON *build(const struct qn_form *f, const struct qn_answers *a, const struct fhir_meta *m,
                    bool texts)
{
    cJSON *root = cJSON_CreateObject(), *items;
    char ts[HV_TS_LEN], canon[200];
    enum qn_lang lang = (unsigned)m->lang < QN_LANGS ? m->lang : QN_EN;

    if (!root)
        return NULL;
    clock_format_rfc3339(m->authored_ms, ts);
    if (!f->url)
        snprintf(canon, sizeof canon, "urn:haven:questionnaire:%s", f->id);
    cJSON_AddStringToObject(root, "resourceType", "QuestionnaireResponse");
    cJSON_AddStringToObject(root, "id", m->id);
    cJSON_AddStringToObject(root, "language", lang_codes[lang]);
    cJSON_AddStringToObject(root, "questionnaire", f->url ? f->url : canon);
    cJSON_AddStringToObject(root, "status", m->completed ? "completed" : "stopped");
    /* With a patient key (issue 14 part 2) the patient is the subject and the visit the
     * encounter; without one the visit stays the subject, as before. */
    if (m->patient && m->patient[0]) {
        cJSON *subj = cJSON_AddObjectToObject(root, "subject");
        cJSON *ident = subj ? cJSON_AddObjectToObject(subj, "identifier") : NULL;
        if (ident) {
            cJSON_AddStringToObject(ident, "system", "urn:haven:patient");
            cJSON_AddStringToObject(ident, "value", m->patient);
        }
    }
    if (m->visit && m->visit[0]) {
        bool enc = m->patient && m->patient[0];
        cJSON *subj = cJSON_AddObjectToObject(root, enc ? "encounter" : "subject");
        cJSON *ident = subj ? cJSON_AddObjectToObject(subj, "identifier") : NULL;
        if (ident) {
            cJSON_AddStringToObject(ident, "system", "urn:haven:visit");
            cJSON_AddStringToObject(ident, "value", m->visit);
        }
    }
    cJSON_AddStringToObject(root, "authored", ts);
    items = cJSON_AddArrayToObject(root, "item");
    for (int i = 0; items && i < f->nitems; i++) {
        int o = a->opt[i];
        if (o >= 0 && o < f->items[i].nopts && qn_item_visible(f, a, i))
            add_answer(items, &f->items[i], &f->items[i].opts[o], lang, texts);
    }
    if (items && m->completed)
        add_scores(items, f, a, lang, texts);
    return root;
}

char *fhir_encode_response(const struct qn_form *f, const struct qn_answers *a,
                           const struct fhir_meta *m)
{
    char *json = NULL;

    /* With the texts first; a staff form with very long texts goes without them. */
    for (int texts = 1; texts >= 0 && !json; texts--) {
        cJSON *root = build(f, a, m, texts);
        json = root ? cJSON_PrintUnformatted(root) : NULL;
        cJSON_Delete(root);
        if (json && strlen(json) > HV_PAYLOAD_MAX && texts) {
            free(json);
            json = NULL;
        }
    }
    return json;
}
