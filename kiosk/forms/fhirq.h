/*
 * fhirq.h - a form file as Haven's own HL7 FHIR R4 Questionnaire (issue 14,
 * defect 7), and the codings both it and the QuestionnaireResponse use.
 *
 * Every response the kiosk publishes names its form's Questionnaire by
 * canonical URL and version ("https://haven.invalid/fhir/Questionnaire/phq-9|1");
 * this builds that Questionnaire from the loaded form, so every linkId of a
 * response (the items, each score, each score's "-band") exists in it, each
 * answer option is the same Coding the response sends, and show_if becomes
 * enableWhen.  `haven-questionnaire FORM.cfg` prints it.
 *
 * Depends on questionnaire.h and cJSON only: no SDL, no MQTT, no kiosk state
 * (the station links it to serve GET /fhir/Questionnaire/<id>).
 */
#ifndef HAVEN_KIOSK_FHIRQ_H
#define HAVEN_KIOSK_FHIRQ_H

#include "questionnaire.h"

#include <stddef.h>

struct cJSON;

/* Haven's extensions and code systems (under QN_URL_BASE). */
#define FHIRQ_EXT_RULE_ANSWER QN_URL_BASE "StructureDefinition/rule-answer"
#define FHIRQ_CODESYSTEM      QN_URL_BASE "CodeSystem/"   /* + form id: the form's own answer values */
#define FHIRQ_LOINC           "http://loinc.org"

/*
 * The Questionnaire of f as a cJSON tree (cJSON_Delete it), or NULL when out
 * of memory.  English texts, with the Spanish as FHIR translation extensions.
 */
struct cJSON *fhirq_questionnaire(const struct qn_form *f);

/* fhirq_questionnaire printed (pretty: indented), malloc'd; NULL when out of memory. */
char *fhirq_encode(const struct qn_form *f, bool pretty);

/*
 * The Coding of answer o of f: {system, code, display} with display in lang.
 * system is the option's (LOINC by default) when it has a code, else the
 * form's own code system FHIRQ_CODESYSTEM "<form id>" with the option's value
 * as the code.  NULL when out of memory.
 */
struct cJSON *fhirq_coding(const struct qn_form *f, const struct qn_option *o, enum qn_lang lang);

/* "<url>|<version>": the canonical reference to f's Questionnaire, in buf (n bytes). */
void fhirq_canonical(const struct qn_form *f, char *buf, size_t n);

#endif
