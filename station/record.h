/*
 * record.h - the patient's course: every questionnaire response a kiosk sent,
 * kept once, in the station's own SQLite database, and what a clinician reads
 * from it (issue 14 part 2, docs/station.md "The course").
 *
 * The store knows nothing of MQTT or HTTP.  The station hands it
 *   - visits as it begins them (record_visit_begun: the visit id, the
 *     pseudonymous patient key the nurse gave, the chair), and their end;
 *   - each QuestionnaireResponse exactly as it arrived (record_add_response).
 *     It is kept byte for byte, and the scores are extracted beside it.  A
 *     response whose id is already stored is a redelivery: nothing changes,
 *     so the kiosk's outbox may send it as often as it needs to.
 * A response names its visit (encounter, or the older subject visit
 * identifier); the visit names the patient.  A visit the station did not
 * begin (the bedside staff menu) is recorded when its first response comes,
 * with the patient the response names, or none.
 *
 * The course of one patient is their visits in order (#1 ... #n), each with its
 * PHQ-9 and GAD-7 totals and item 9, and the rules the ketamine outcome
 * studies use: response = PHQ-9 down >= 50 % from baseline (the first PHQ-9),
 * remission = latest PHQ-9 < 5; drop-out = no visit for dropout_days.
 *
 * A handle is used from one thread.  Functions return 0 or a negative HV_E*.
 */
#ifndef HAVEN_STATION_RECORD_H
#define HAVEN_STATION_RECORD_H

#include "ids.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct record record;

#define RECORD_KEY_MAX 64          /* patient keys are ids: ids_valid(), < HV_ID_MAX */
#define RECORD_INFUSIONS_MAX 64    /* a course longer than this shows its first 64 */
#define RECORD_RESPONSE_ITEMS_MAX 200
#define RECORD_WHO_MAX 64          /* a staff account's name (the call's "by") */

/* Opens (creating, 0600, WAL) the store at path; ":memory:" for tests.  NULL (logged). */
record *record_open(const char *path);
void record_close(record *r);

/*
 * A visit began in room for patient (NULL or "": not given).  Beginning the
 * same visit again keeps its first time and fills a patient it lacked.
 * HV_EINVAL for an id that is not ids_valid().
 */
int record_visit_begun(record *r, const char *visit, const char *patient, const char *room,
                       int64_t ms);
int record_visit_ended(record *r, const char *visit, int64_t ms);

/*
 * A safety call in room (the call itself, or a safety concern joined to it,
 * raised at raised_ms) was acknowledged by who at ack_ms.  Kept once per call
 * and concern: the station hands over every acknowledged call state it sees.
 * The course names, for each infusion whose item 9 was endorsed, who
 * acknowledged the first safety call raised in its room during the visit.
 */
int record_safety_acknowledged(record *r, const char *call, const char *room, int64_t raised_ms,
                               const char *who, int64_t ack_ms);

enum record_added { RECORD_SEEN = 0, RECORD_NEW = 1 };

/*
 * Stores one QuestionnaireResponse (json, len bytes, as it arrived) from room.
 * RECORD_NEW, RECORD_SEEN for a redelivery (same id), HV_EPARSE / HV_EINVAL for
 * one that is not a response Haven can keep (why in the log line, naming the
 * room), HV_ETOOBIG past HV_PAYLOAD_MAX, HV_EDB.
 */
int record_add_response(record *r, const char *room, const char *json, size_t len,
                        int64_t received_ms);

/*
 * Stores one check-in (P/room/R/kiosk/checkin: {"id","feeling",..}, json, len
 * bytes, as it arrived) from room, keyed by its id.  RECORD_NEW, RECORD_SEEN
 * for a redelivery, HV_EPARSE (not a JSON object) / HV_EINVAL (no valid id, or
 * room not an id), HV_ETOOBIG past HV_PAYLOAD_MAX, HV_EDB.  Its "visit" (a kiosk
 * since issue 14 sends it) is kept beside it; without one the room and the time
 * place it.
 */
int record_add_checkin(record *r, const char *room, const char *json, size_t len,
                       int64_t received_ms);
int64_t record_count_checkins(record *r);

/*
 * Keeps aside, as it arrived, a message of kind ("response", "check-in") with
 * id from room that the record cannot hold (why), so that the kiosk may drop
 * it without its being lost.  Once per kind and id.  RECORD_NEW, RECORD_SEEN,
 * HV_EINVAL, HV_EDB.
 */
int record_add_refused(record *r, const char *room, const char *kind, const char *id,
                       const char *why, const char *json, size_t len, int64_t received_ms);
int64_t record_count_refused(record *r);

/* One infusion of a course: a visit and what its questionnaires said. */
struct record_infusion {
    char visit[HV_ID_MAX];
    int64_t begun_ms;
    int phq9;            /* PHQ-9 total of a completed form, -1 none */
    int gad7;            /* GAD-7 total, -1 none */
    int item9;           /* PHQ-9 item 9 as answered last (0..3), -1 not answered */
    bool item9_endorsed; /* item 9 was above "Not at all" at any time in this visit */
    char item9_ack_by[RECORD_WHO_MAX]; /* who acknowledged the visit's first safety call ("") */
    int64_t item9_ack_ms;
    int responses;       /* questionnaire responses stored for the visit */
};

struct record_course {
    char patient[RECORD_KEY_MAX];
    int n;                          /* infusions, oldest first */
    bool truncated;                 /* more visits than RECORD_INFUSIONS_MAX */
    struct record_infusion inf[RECORD_INFUSIONS_MAX];
    int baseline_phq9, latest_phq9; /* -1 when no PHQ-9 */
    int baseline_gad7, latest_gad7;
    int phq9_change_pct;            /* (latest - baseline) * 100 / baseline; 0 if baseline 0 */
    bool response;                  /* latest <= baseline / 2, with two PHQ-9s and baseline > 0 */
    bool remission;                 /* latest < 5, with two PHQ-9s */
    bool dropped_out;               /* last visit more than dropout_days before now */
    int64_t last_visit_ms;
    int item9_endorsements;         /* infusions where item 9 was endorsed */
    int without_questionnaire;      /* infusions with no response at all */
};

/* The course of patient as of now.  HV_ENOTFOUND when the store has no visit for them. */
int record_course(record *r, const char *patient, int64_t now, int dropout_days,
                  struct record_course *out);

/* How many responses and visits are stored (figures, tests). */
int64_t record_count_responses(record *r);
int64_t record_count_visits(record *r);

/*
 * Calls fn for each stored response of patient, oldest first, with the JSON as
 * it arrived (for the FHIR search and CSV export).  fn returns 0 to go on.
 */
int record_each_response(record *r, const char *patient,
                         int (*fn)(void *ctx, const char *id, const char *json), void *ctx);

/* ---- additions for the course pages and the FHIR endpoint (station/course.c, http.c) ---- */

/*
 * Calls fn for the patients with a visit, the most recently seen first, at
 * most limit of them: the key, the last visit's begin time and how many
 * visits.  fn returns 0 to go on.  0 or HV_EDB.
 */
int record_each_patient(record *r, int limit,
                        int (*fn)(void *ctx, const char *patient, int64_t last_ms, int visits),
                        void *ctx);

/*
 * The FHIR read tokens (the charge role issues them): only a hash is kept
 * (hash: hex, < 128 bytes), with who issued it, when and until when.
 * record_token_add: 0, HV_EINVAL, HV_EDB.  record_token_check: 0 when hash
 * names a live token (not revoked, now < expires), HV_ENOTFOUND otherwise.
 * record_token_revoke: 0, HV_ENOTFOUND.  The table is created on first use.
 */
#define RECORD_TOKEN_LABEL_MAX 64
int record_token_add(record *r, const char *hash, const char *label, const char *by,
                     int64_t now, int64_t expires_ms);
int record_token_check(record *r, const char *hash, int64_t now);
int record_token_revoke(record *r, const char *label, int64_t now);

/* Calls fn for each token, newest first (at most limit): label, issuer, times (revoked 0: live). */
int record_each_token(record *r, int limit,
                      int (*fn)(void *ctx, const char *label, const char *by, int64_t issued_ms,
                                int64_t expires_ms, int64_t revoked_ms),
                      void *ctx);

#endif
