/*
 * fhir.h - a form's answers as an HL7 FHIR R4 QuestionnaireResponse, for
 * P/room/R/kiosk/response (docs/protocol.md, docs/questionnaires.md).
 *
 * The visit id is the only link to a person: it goes in subject.identifier.
 * Each answered item carries its answer as valueCoding (LOINC answer code
 * where the form gives one), each score an item with valueInteger, and each
 * band an item with valueString.
 */
#ifndef HAVEN_KIOSK_FHIR_H
#define HAVEN_KIOSK_FHIR_H

#include "questionnaire.h"

#include <stdbool.h>
#include <stdint.h>

struct fhir_meta {
    const char *id;          /* unique across restarts: the message id */
    const char *visit;       /* the visit id ("" allowed: no subject) */
    const char *room;        /* the chair, for the source reference */
    enum qn_lang lang;       /* the language the patient saw */
    bool completed;          /* "completed", else "stopped" (abandoned) */
    int64_t authored_ms;
    const char *patient;     /* the pseudonymous patient key as subject; NULL or "": unknown, none */
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
