/*
 * fhir.h - a form's answers as an HL7 FHIR R4 QuestionnaireResponse, for
 * P/room/R/kiosk/response (docs/protocol.md, docs/questionnaires.md).
 *
 * The form is named by Haven's own Questionnaire (fhirq.h: canonical URL and
 * version), in which every linkId used here exists.  The visit goes in
 * encounter; subject is the pseudonymous patient key when the kiosk knows one,
 * else absent.  No name or other identifier of a person is ever in it.  Each
 * answered item carries its answer as valueCoding, always with a system (LOINC,
 * or the form's own code system for Haven's answer values), each score an item
 * with valueInteger, and each band an item with valueString.  An answer that
 * set off a rule (paged someone) stays on its item as the rule-answer
 * extension even when the patient changed it afterwards (issue 14, defect 2).
 */
#ifndef HAVEN_KIOSK_FHIR_H
#define HAVEN_KIOSK_FHIR_H

#include "formrun.h"
#include "questionnaire.h"

#include <stdbool.h>
#include <stdint.h>

struct fhir_meta {
    const char *id;          /* unique across restarts: the message id */
    const char *visit;       /* the visit id, as encounter ("" allowed: no encounter) */
    const char *room;        /* the chair, for the source reference */
    enum qn_lang lang;       /* the language the patient saw */
    bool completed;          /* "completed", else "stopped" (abandoned) */
    int64_t authored_ms;
    const char *patient;     /* the pseudonymous patient key, as subject; NULL or "": none */
    const struct run_fired *fired;  /* QN_RULES_MAX entries by rule (formrun.h), or NULL */
};

/*
 * Encodes f's answers a.  Scores and bands are included for a completed
 * form only.  Returns a malloc'd JSON string of at most HV_PAYLOAD_MAX bytes
 * (item texts are left out if they would make it larger), or NULL when out
 * of memory.
 */
char *fhir_encode_response(const struct qn_form *f, const struct qn_answers *a,
                           const struct fhir_meta *m);

#endif
