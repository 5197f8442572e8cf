/*
 * fhirq.c - a form as Haven's FHIR R4 Questionnaire (fhirq.h).
 *
 *   { "resourceType": "Questionnaire", "id": "phq-9",
 *     "url": "https://haven.invalid/fhir/Questionnaire/phq-9", "version": "1",
 *     "name": "Phq9", "title": "PHQ-9", "status": "active", "subjectType": [ "Patient" ],
 *     "code": [ { "system": "http://loinc.org", "code": "44249-1" } ],
 *     "item": [ { "linkId": "phq-9-stem", "type": "display", "text": "Over the last 2 weeks, ..." },
 *               { "linkId": "44250-9", "type": "choice", "required": true, "text": "...",
 *                 "code": [ { "system": "http://loinc.org", "code": "44250-9" } ],
 *                 "answerOption": [ { "valueCoding": { "system": "http://loinc.org",
 *                                     "code": "LA6568-5", "display": "Not at all" },
 *                                     "extension": [ ordinalValue 0 ] }, ... ] },
 *               { "linkId": "69722-7", ..., "enableWhen": [ { "question": "44250-9",
 *                 "operator": "=", "answerCoding": {...} }, ... ], "enableBehavior": "any" },
 *               { "linkId": "44261-6", "type": "integer", "readOnly": true, ... },
 *               { "linkId": "44261-6-band", "type": "string", "readOnly": true, ... } ] }
 *
 * Texts are the English; each Spanish text rides along as the core
 * "translation" extension on the element (_text, _title, _display).  Scores and
 * bands carry an SDC calculatedExpression (FHIRPath) saying how the kiosk
 * computes them; the kiosk's own sum (questionnaire.c) is what it sends.
 */
#include "fhirq.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXT_TRANSLATION "http://hl7.org/fhir/StructureDefinition/translation"
#define EXT_ORDINAL     "http://hl7.org/fhir/StructureDefinition/ordinalValue"
#define EXT_CALCULATED  "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"

/* ---- small builders ---------------------------------------------------------------------- */

/* True for a FHIR id: 1-64 of [A-Za-z0-9-.]. */
static bool fhir_id_ok(const char *s)
{
    size_t n = strlen(s);

    return n >= 1 && n <= 64 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                          "0123456789-.") == n;
}

/*
 * obj.key = t's English, and obj._key = the translation extension for each
 * other language t has.  Nothing when t is empty.
 */
static void add_text(cJSON *obj, const char *key, const struct qn_text *t)
{
    char under[64];
    cJSON *el, *exts;

    if (!t->s[QN_EN])
        return;
    cJSON_AddStringToObject(obj, key, t->s[QN_EN]);
    if (!t->s[QN_ES])
        return;
    snprintf(under, sizeof under, "_%s", key);
    el = cJSON_AddObjectToObject(obj, under);
    exts = el ? cJSON_AddArrayToObject(el, "extension") : NULL;
    if (exts) {
        cJSON *tr = cJSON_CreateObject(), *parts;
        cJSON_AddItemToArray(exts, tr);
        cJSON_AddStringToObject(tr, "url", EXT_TRANSLATION);
        parts = cJSON_AddArrayToObject(tr, "extension");
        cJSON *lang = cJSON_CreateObject(), *content = cJSON_CreateObject();
        cJSON_AddItemToArray(parts, lang);
        cJSON_AddItemToArray(parts, content);
        cJSON_AddStringToObject(lang, "url", "lang");
        cJSON_AddStringToObject(lang, "valueCode", "es");
        cJSON_AddStringToObject(content, "url", "content");
        cJSON_AddStringToObject(content, "valueString", t->s[QN_ES]);
    }
}

/* [ { "system": LOINC, "code": code } ] as obj.code; nothing for NULL. */
static void add_loinc_code(cJSON *obj, const char *code)
{
    cJSON *arr, *c;

    if (!code || !(arr = cJSON_AddArrayToObject(obj, "code")))
        return;
    if ((c = cJSON_CreateObject()) == NULL)
        return;
    cJSON_AddItemToArray(arr, c);
    cJSON_AddStringToObject(c, "system", FHIRQ_LOINC);
    cJSON_AddStringToObject(c, "code", code);
}

/* obj.extension += { url, <value key>: value } (value is taken over); returns the extension. */
static cJSON *add_ext(cJSON *obj, const char *url, const char *key, cJSON *value)
{
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, "extension"), *ext;

    if (!arr)
        arr = cJSON_AddArrayToObject(obj, "extension");
    if (!arr || !(ext = cJSON_CreateObject())) {
        cJSON_Delete(value);
        return NULL;
    }
    cJSON_AddItemToArray(arr, ext);
    cJSON_AddStringToObject(ext, "url", url);
    if (value)
        cJSON_AddItemToObject(ext, key, value);
    return ext;
}

/* ---- codings ------------------------------------------------------------------------------ */

cJSON *fhirq_coding(const struct qn_form *f, const struct qn_option *o, enum qn_lang lang)
{
    cJSON *c = cJSON_CreateObject();
    char sys[256];

    if (!c)
        return NULL;
    if (o->code) {
        cJSON_AddStringToObject(c, "system", o->system ? o->system : FHIRQ_LOINC);
        cJSON_AddStringToObject(c, "code", o->code);
    } else {
        snprintf(sys, sizeof sys, FHIRQ_CODESYSTEM "%s", f->id);
        cJSON_AddStringToObject(c, "system", sys);
        cJSON_AddStringToObject(c, "code", o->value);
    }
    cJSON_AddStringToObject(c, "display", qn_text(&o->text, lang));
    return c;
}

void fhirq_canonical(const struct qn_form *f, char *buf, size_t n)
{
    snprintf(buf, n, "%s|%s", f->url ? f->url : "", f->version ? f->version : "1");
}

/* ---- items -------------------------------------------------------------------------------- */

/* True if item i is counted by some score of f (its answers then carry their ordinal). */
static bool scored(const struct qn_form *f, int i)
{
    for (int s = 0; s < f->nscores; s++)
        for (int j = 0; j < f->scores[s].nitems; j++)
            if (f->scores[s].items[j] == i)
                return true;
    return false;
}

static void add_options(cJSON *it, const struct qn_form *f, int i)
{
    const struct qn_item *q = &f->items[i];
    cJSON *arr = cJSON_AddArrayToObject(it, "answerOption");
    bool ordinal = scored(f, i);

    for (int o = 0; arr && o < q->nopts; o++) {
        cJSON *opt = cJSON_CreateObject(), *coding = fhirq_coding(f, &q->opts[o], QN_EN);
        if (!opt || !coding) {
            cJSON_Delete(opt);
            cJSON_Delete(coding);
            return;
        }
        cJSON_AddItemToArray(arr, opt);
        if (q->opts[o].text.s[QN_ES]) {  /* the display's Spanish, as on every other text */
            cJSON_DeleteItemFromObjectCaseSensitive(coding, "display");
            add_text(coding, "display", &q->opts[o].text);
        }
        cJSON_AddItemToObject(opt, "valueCoding", coding);
        if (ordinal)
            add_ext(opt, EXT_ORDINAL, "valueDecimal", cJSON_CreateNumber(q->opts[o].score));
    }
}

/* One enableWhen: item cond_item's answer is option o. */
static void add_enable(cJSON *arr, const struct qn_form *f, int cond_item, int o)
{
    cJSON *ew = cJSON_CreateObject();
    cJSON *coding = fhirq_coding(f, &f->items[cond_item].opts[o], QN_EN);

    if (!ew || !coding) {
        cJSON_Delete(ew);
        cJSON_Delete(coding);
        return;
    }
    cJSON_AddItemToArray(arr, ew);
    cJSON_AddStringToObject(ew, "question", f->items[cond_item].id);
    cJSON_AddStringToObject(ew, "operator", "=");
    cJSON_AddItemToObject(ew, "answerCoding", coding);
}

/*
 * show_if as enableWhen, behaviour "any": one entry per (item, answer) that
 * makes the condition hold: its values, or its answers scoring min_score or more.
 */
static void add_show_if(cJSON *it, const struct qn_form *f, const struct qn_cond *c)
{
    cJSON *arr = cJSON_AddArrayToObject(it, "enableWhen");

    for (int k = 0; arr && k < c->nitems; k++) {
        const struct qn_item *q = &f->items[c->items[k]];
        for (int o = 0; o < q->nopts; o++) {
            bool holds = c->by_score ? q->opts[o].score >= c->min_score : false;
            for (int v = 0; !c->by_score && v < c->nvalues; v++)
                holds |= strcmp(c->values[v], q->opts[o].value) == 0;
            if (holds)
                add_enable(arr, f, c->items[k], o);
        }
    }
    cJSON_AddStringToObject(it, "enableBehavior", "any");
}

static cJSON *new_item(cJSON *items, const char *link, const char *type)
{
    cJSON *it = cJSON_CreateObject();

    if (!it)
        return NULL;
    cJSON_AddItemToArray(items, it);
    cJSON_AddStringToObject(it, "linkId", link);
    cJSON_AddStringToObject(it, "type", type);
    return it;
}

static void add_question(cJSON *items, const struct qn_form *f, int i)
{
    const struct qn_item *q = &f->items[i];
    cJSON *it = new_item(items, q->id, "choice");

    if (!it)
        return;
    add_loinc_code(it, q->code);
    add_text(it, "text", &q->text);
    cJSON_AddBoolToObject(it, "required", true);  /* the review's Send needs every shown item */
    if (q->has_cond)
        add_show_if(it, f, &q->show_if);
    add_options(it, f, i);
}

/* ---- scores ------------------------------------------------------------------------------- */

static void add_calculated(cJSON *it, const char *expression)
{
    cJSON *expr = cJSON_CreateObject();

    if (!expr)
        return;
    cJSON_AddStringToObject(expr, "language", "text/fhirpath");
    cJSON_AddStringToObject(expr, "expression", expression);
    add_ext(it, EXT_CALCULATED, "valueExpression", expr);
}

/* s as a FHIRPath string literal's content ('\'' and '\\' escaped), in out (n bytes). */
static const char *fp_str(const char *s, char *out, size_t n)
{
    size_t len = 0;

    for (; *s && len + 3 < n; s++) {
        if (*s == '\'' || *s == '\\')
            out[len++] = '\\';
        out[len++] = *s;
    }
    out[len] = '\0';
    return out;
}

/* FHIRPath for score s: the sum of the ordinals of its items' answers (hidden items: none). */
static void score_expression(const struct qn_form *f, const struct qn_score *s, char *buf, size_t n)
{
    size_t len = (size_t)snprintf(buf, n, "%%resource.item.where(");

    char lit[256];

    for (int j = 0; j < s->nitems && len < n; j++)
        len += (size_t)snprintf(buf + len, n - len, "%slinkId = '%s'", j ? " or " : "",
                                fp_str(f->items[s->items[j]].id, lit, sizeof lit));
    if (len < n)
        snprintf(buf + len, n - len, ").answer.value.ordinal().sum()");
}

/* FHIRPath for the band of score s: iif(total <= to, 'label', ...), the last band the rest. */
static void band_expression(const struct qn_score *s, char *buf, size_t n)
{
    char lit[256];
    size_t len = (size_t)snprintf(buf, n, "%%resource.item.where(linkId = '%s').answer.value"
                                  ".select(", fp_str(s->id, lit, sizeof lit));

    for (int b = 0; b < s->nbands && len < n; b++) {
        const char *label = fp_str(qn_text(&s->bands[b].label, QN_EN), lit, sizeof lit);
        if (b + 1 < s->nbands)
            len += (size_t)snprintf(buf + len, n - len, "iif($this <= %d, '%s', ", s->bands[b].to,
                                    label);
        else
            len += (size_t)snprintf(buf + len, n - len, "'%s'", label);
    }
    for (int b = 0; b < s->nbands && len < n; b++)
        len += (size_t)snprintf(buf + len, n - len, ")");
}

/* "<what>: band" in each language of t. */
static void band_text(const struct qn_text *t, struct qn_text *out, char *en, char *es, size_t n)
{
    snprintf(en, n, "%s: band", qn_text(t, QN_EN));
    snprintf(es, n, "%s: categoría", qn_text(t, QN_ES));
    out->s[QN_EN] = en;
    out->s[QN_ES] = t->s[QN_ES] ? es : NULL;
}

static void add_score(cJSON *items, const struct qn_form *f, const struct qn_score *s)
{
    char expr[4096], link[96], en[320], es[320];
    struct qn_text bt;
    cJSON *it = new_item(items, s->id, "integer");

    if (!it)
        return;
    add_loinc_code(it, s->code);
    add_text(it, "text", &s->text);
    cJSON_AddBoolToObject(it, "readOnly", true);
    score_expression(f, s, expr, sizeof expr);
    add_calculated(it, expr);
    if (s->nbands == 0)
        return;
    snprintf(link, sizeof link, "%s-band", s->id);   /* as fhir.c names it in the response */
    if (!(it = new_item(items, link, "string")))
        return;
    band_text(&s->text, &bt, en, es, sizeof en);
    add_text(it, "text", &bt);
    cJSON_AddBoolToObject(it, "readOnly", true);
    band_expression(s, expr, sizeof expr);
    add_calculated(it, expr);
}

/* ---- the resource ------------------------------------------------------------------------- */

/* A computer-friendly name from the form id: "safety-checklist" -> "SafetyChecklist". */
static void name_of(const char *id, char *out, size_t n)
{
    size_t len = 0;
    bool up = true;

    for (const char *p = id; *p && len + 1 < n; p++) {
        if (!isalnum((unsigned char)*p)) {
            up = true;
            continue;
        }
        out[len++] = up ? (char)toupper((unsigned char)*p) : *p;
        up = false;
    }
    out[len] = '\0';
    if (len == 0 || isdigit((unsigned char)out[0]))
        snprintf(out, n, "Form");
}

/* The stem as a display item before the questions (linkId "<form id>-stem", if free). */
static void add_stem(cJSON *items, const struct qn_form *f)
{
    char link[96];
    cJSON *it;

    if (!f->stem.s[QN_EN])
        return;
    snprintf(link, sizeof link, "%s-stem", f->id);
    if (qn_item_index(f, link) >= 0)
        return;
    if ((it = new_item(items, link, "display")) != NULL)
        add_text(it, "text", &f->stem);
}

static void add_header(cJSON *root, const struct qn_form *f)
{
    char name[96], desc[512];
    cJSON *subj;

    cJSON_AddStringToObject(root, "resourceType", "Questionnaire");
    if (fhir_id_ok(f->id))
        cJSON_AddStringToObject(root, "id", f->id);
    cJSON_AddStringToObject(root, "language", "en");
    cJSON_AddStringToObject(root, "url", f->url ? f->url : "");
    cJSON_AddStringToObject(root, "version", f->version ? f->version : "1");
    name_of(f->id, name, sizeof name);
    cJSON_AddStringToObject(root, "name", name);
    add_text(root, "title", &f->title);
    cJSON_AddStringToObject(root, "status", "active");
    if ((subj = cJSON_AddArrayToObject(root, "subjectType")) != NULL)
        cJSON_AddItemToArray(subj, cJSON_CreateString("Patient"));
    cJSON_AddStringToObject(root, "publisher", "Haven");
    snprintf(desc, sizeof desc, "Generated by haven-questionnaire from the Haven form file %s.cfg "
             "(docs/questionnaires.md). %s", f->name ? f->name : f->id,
             qn_text(&f->intro, QN_EN));
    cJSON_AddStringToObject(root, "description", desc);
    add_text(root, "copyright", &f->attribution);
    add_loinc_code(root, f->code);
}

cJSON *fhirq_questionnaire(const struct qn_form *f)
{
    cJSON *root = cJSON_CreateObject(), *items;

    if (!root)
        return NULL;
    add_header(root, f);
    items = cJSON_AddArrayToObject(root, "item");
    if (!items) {
        cJSON_Delete(root);
        return NULL;
    }
    add_stem(items, f);
    for (int i = 0; i < f->nitems; i++)
        add_question(items, f, i);
    for (int s = 0; s < f->nscores; s++)
        add_score(items, f, &f->scores[s]);
    return root;
}

char *fhirq_encode(const struct qn_form *f, bool pretty)
{
    cJSON *root = fhirq_questionnaire(f);
    char *json = root ? (pretty ? cJSON_Print(root) : cJSON_PrintUnformatted(root)) : NULL;

    cJSON_Delete(root);
    return json;
}
