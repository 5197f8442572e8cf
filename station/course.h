/*
 * course.h - what a clinician and an EHR see of a patient's course
 * (issue 14 part 2, docs/station.md "The course"), made from the course store
 * (record.h).  MQTT- and HTTP-free; every text returned is malloc'd (the
 * caller frees it) or NULL when out of memory.
 *
 *   course_json      the course page's JSON: infusions #1..#n (PHQ-9, GAD-7,
 *                    item 9, endorsed, no questionnaire), baseline -> latest,
 *                    the Response / Remission / Dropped out badges;
 *   course_csv       one row an infusion, RFC 4180, formula-injection safe;
 *   course_bundle    a FHIR R4 searchset Bundle of the patient's stored
 *                    QuestionnaireResponses, each resource byte for byte as
 *                    the kiosk sent it;
 *   course_patients  the patient picker's list, most recently seen first.
 */
#ifndef HAVEN_STATION_COURSE_H
#define HAVEN_STATION_COURSE_H

#include "record.h"

#include <stddef.h>
#include <stdint.h>

#define COURSE_PATIENTS_MAX 500      /* the picker shows the 500 most recently seen */
#define COURSE_BUNDLE_MAX 1000       /* entries in one searchset (a course has ~12) */
#define COURSE_BASE_MAX 128          /* the fullUrl base ("https://station:8443") */

/* The PHQ-9 (0-27) and GAD-7 (0-21) severity bands: "minimal" .. "severe"; NULL for < 0. */
const char *course_phq9_band(int total);
const char *course_gad7_band(int total);

/* The page's JSON for c (dropout_days: the clinic's setting, shown on the page). */
char *course_json(const struct record_course *c, int dropout_days);

/*
 * The CSV export: a header, then one row an infusion.  Fields are quoted when
 * they hold , " CR or LF (RFC 4180, CRLF line ends), and a field starting with
 * = + - @ (or TAB/CR) gets a leading ' so no spreadsheet runs it as a formula.
 */
char *course_csv(const struct record_course *c);

/* One CSV field, appended to out (of cap bytes, NUL-terminated): 0, or -1 when it does not fit. */
int course_csv_field(char *out, size_t cap, const char *value);

/*
 * The searchset Bundle of patient's responses.  base (e.g. "https://h:8443",
 * no slash at the end) makes each entry's fullUrl base/fhir/QuestionnaireResponse/<id>.
 * *status gets 0, or HV_EINVAL (bad key) / HV_EDB.
 */
char *course_bundle(record *r, const char *patient, const char *base, int64_t now, int *status);

/* {"patients":[{"key":..,"last_visit":..,"visits":n,"dropped_out":b}],"truncated":b}. */
char *course_patients(record *r, int64_t now, int dropout_days);

/* {"tokens":[{"label","issued_by","issued","expires","state":"live|expired|revoked"}]}, newest 100. */
char *course_tokens(record *r, int64_t now);

/* A FHIR OperationOutcome with one issue (severity "error", code e.g. "login"). */
char *course_outcome(const char *code, const char *diagnostics);

#endif
