/*
 * forms.h - the clinic's questionnaires as FHIR Questionnaire resources, for
 * the station's read-only FHIR endpoint (GET /fhir/Questionnaire/<id>): the
 * forms haven.cfg's kiosk { questionnaires { } } names, read with the kiosk's
 * own loader (kiosk/forms/questionnaire.h) and encoded once by kiosk/forms/fhirq.h, so the
 * resource an EHR reads is the one each response's "questionnaire" names.
 *
 * A handle is replaced whole on a reload; a form that does not load is logged
 * and the set is empty (the endpoint answers 404), never a failed start.
 */
#ifndef HAVEN_STATION_FORMS_H
#define HAVEN_STATION_FORMS_H

typedef struct forms forms;

/* The forms of the haven.cfg at path (an empty set when none, or when they do not load). */
forms *forms_load(const char *path);
void forms_free(forms *f);
int forms_count(const forms *f);

/* Form id's Questionnaire JSON (malloc'd copy, the caller's), or NULL when there is none. */
char *forms_questionnaire(const forms *f, const char *id);

#endif
