/*
 * fhir.c - QuestionnaireResponse encoding with cJSON (fhir.h).
 *
 *   { "resourceType": "QuestionnaireResponse", "id": "resp-...", "language": "es",
 *     "questionnaire": "https://haven.invalid/fhir/Questionnaire/phq-9|1", "status": "completed",
 *     "subject": { "identifier": { "system": "urn:haven:patient", "value": "P-8c1f" } },
 *     "encounter": { "identifier": { "system": "urn:haven:visit", "value": "V-1042" } },
 *     "authored": "2026-11-21T14:03:07.412Z",
 *     "item": [ { "linkId": "44250-9", "text": "...",
 *                 "answer": [ { "valueCoding": { "system": "http://loinc.org",
 *                                                "code": "LA6569-3", "display": "..." } } ] },
 *               ...,
 *               { "linkId": "44260-8", "text": "...",
 *                 "extension": [ { "url": "https://haven.invalid/fhir/StructureDefinition/rule-answer",
 *                   "extension": [ { "url": "answer", "valueCoding": { ... "LA6569-3" ... } },
 *                                  { "url": "answered", "valueDateTime": "..." },
 *                                  { "url": "rule", "valueInteger": 1 },
 *                                  { "url": "call", "valueIdentifier": { "system": "urn:haven:call",
 *                                                                        "value": "call-..." } },
 *                                  { "url": "changed", "valueBoolean": true } ] } ],
 *                 "answer": [ { "valueCoding": { ... "LA6568-5" ... } } ] },
 *               { "linkId": "44261-6", "text": "...", "answer": [ { "valueInteger": 7 } ] },
 *               { "linkId": "44261-6-band", "answer": [ { "valueString": "Mild" } ] } ] }
 */
#include "fhir.h"
#include "clock.h"
#include "fhirq.h"
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

/* One more {} in it's "answer": [ ] (a multiple choice item has one per option chosen). */
static cJSON *answer_obj(cJSON *it)
{
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(it, "answer"), *ans = cJSON_CreateObject();

    if (!arr)
        arr = cJSON_AddArrayToObject(it, "answer");
    if (!arr || !ans) {
        cJSON_Delete(ans);
        return NULL;
    }
    cJSON_AddItemToArray(arr, ans);
    return ans;
}

/* {"identifier": {"system": system, "value": value}} as root.key. */
static void add_ident_ref(cJSON *root, const char *key, const char *system, const char *value)
{
    cJSON *ref = cJSON_AddObjectToObject(root, key);
    cJSON *ident = ref ? cJSON_AddObjectToObject(ref, "identifier") : NULL;

    if (!ident)
        return;
    cJSON_AddStringToObject(ident, "system", system);
    cJSON_AddStringToObject(ident, "value", value);
}

/* A sub-extension {url, key: value} of ext (value taken over). */
static void add_part(cJSON *parts, const char *url, const char *key, cJSON *value)
{
    cJSON *p = cJSON_CreateObject();

    if (!p || !value) {
        cJSON_Delete(p);
        cJSON_Delete(value);
        return;
    }
    cJSON_AddItemToArray(parts, p);
    cJSON_AddStringToObject(p, "url", url);
    cJSON_AddItemToObject(p, key, value);
}

/*
 * The rule-answer extension on it for rule r, set off by fired's answer:
 * which answer, when, the call it raised, and whether the item's answer now
 * (mask: the options chosen, 0 none) no longer holds it.
 */
static void add_rule_answer(cJSON *it, const struct qn_form *f, int r,
                            const struct run_fired *fired, unsigned mask, enum qn_lang lang)
{
    cJSON *exts = cJSON_GetObjectItemCaseSensitive(it, "extension"), *ext, *parts, *ident;
    char ts[HV_TS_LEN];

    if (!exts && !(exts = cJSON_AddArrayToObject(it, "extension")))
        return;
    if (!(ext = cJSON_CreateObject()))
        return;
    cJSON_AddItemToArray(exts, ext);
    cJSON_AddStringToObject(ext, "url", FHIRQ_EXT_RULE_ANSWER);
    if (!(parts = cJSON_AddArrayToObject(ext, "extension")))
        return;
    add_part(parts, "answer", "valueCoding",
             fhirq_coding(f, &f->items[fired->item].opts[fired->opt], lang));
    if (fired->ms > 0) {
        clock_format_rfc3339(fired->ms, ts);
        add_part(parts, "answered", "valueDateTime", cJSON_CreateString(ts));
    }
    add_part(parts, "rule", "valueInteger", cJSON_CreateNumber(r + 1));
    if (fired->call[0] && (ident = cJSON_CreateObject()) != NULL) {
        cJSON_AddStringToObject(ident, "system", "urn:haven:call");
        cJSON_AddStringToObject(ident, "value", fired->call);
        add_part(parts, "call", "valueIdentifier", ident);
    }
    add_part(parts, "changed", "valueBoolean", cJSON_CreateBool(!(mask & (1u << fired->opt))));
}

/*
 * Item i: its answers (mask: the options chosen, one for a single choice item;
 * 0: hidden or unanswered) and each rule its answers set off.
 */
static void add_item(cJSON *items, const struct qn_form *f, int i, unsigned mask,
                     const struct fhir_meta *m, enum qn_lang lang, bool texts)
{
    const struct qn_item *q = &f->items[i];
    bool any = mask != 0;
    cJSON *it, *ans, *coding;

    for (int r = 0; m->fired && r < f->nrules; r++)
        any |= m->fired[r].set && m->fired[r].item == i &&
               m->fired[r].opt >= 0 && m->fired[r].opt < q->nopts;
    if (!any || !(it = item_obj(items, q->id, texts ? qn_text(&q->text, lang) : NULL)))
        return;
    for (int r = 0; m->fired && r < f->nrules; r++)
        if (m->fired[r].set && m->fired[r].item == i &&
            m->fired[r].opt >= 0 && m->fired[r].opt < q->nopts)
            add_rule_answer(it, f, r, &m->fired[r], mask, lang);
    for (int o = 0; o < q->nopts; o++) {
        if (!(mask & (1u << o)) || !(ans = answer_obj(it)))
            continue;
        if ((coding = fhirq_coding(f, &q->opts[o], lang)) != NULL)
            cJSON_AddItemToObject(ans, "valueCoding", coding);
    }
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
    char ts[HV_TS_LEN], canon[300];
    enum qn_lang lang = (unsigned)m->lang < QN_LANGS ? m->lang : QN_EN;

    if (!root)
        return NULL;
    clock_format_rfc3339(m->authored_ms, ts);
    fhirq_canonical(f, canon, sizeof canon);
    cJSON_AddStringToObject(root, "resourceType", "QuestionnaireResponse");
    cJSON_AddStringToObject(root, "id", m->id);
    cJSON_AddStringToObject(root, "language", lang_codes[lang]);
    cJSON_AddStringToObject(root, "questionnaire", canon);
    cJSON_AddStringToObject(root, "status", m->completed ? "completed" : "stopped");
    if (m->patient && m->patient[0])
        add_ident_ref(root, "subject", "urn:haven:patient", m->patient);
    if (m->visit && m->visit[0])
        add_ident_ref(root, "encounter", "urn:haven:visit", m->visit);
    cJSON_AddStringToObject(root, "authored", ts);
    items = cJSON_AddArrayToObject(root, "item");
    for (int i = 0; items && i < f->nitems; i++)   /* the options chosen (hidden: none) */
        add_item(items, f, i, qn_answer_mask(f, a, i), m, lang, texts);
    if (items && m->completed)
        add_scores(items, f, a, lang, texts);
    if (items && cJSON_GetArraySize(items) == 0)
        cJSON_DeleteItemFromObjectCaseSensitive(root, "item");  /* FHIR has no empty arrays */
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
