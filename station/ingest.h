/*
 * ingest.h - what the kiosks send for the patient's record (issue 14 part 2):
 * questionnaire responses (P/room/R/kiosk/response) and check-ins
 * (P/room/R/kiosk/checkin), bounded, stored once in the course store
 * (record.h), and what the station answers on P/room/R/kiosk/stored so that
 * the kiosk's outbox lets go of them (docs/protocol.md "The record's
 * delivery").
 *
 * Bounds: a payload over HV_PAYLOAD_MAX is refused before it is parsed, and
 * each room has a token bucket (per_s a second, bursts of burst): a message
 * over it is dropped unconfirmed with a log line, and the kiosk sends it
 * again later (it holds it until confirmed), so a flood costs the flooding
 * room its own delay and nothing else.  The caller checks that the room is
 * one of the clinic's.
 *
 * What is confirmed: a message stored now (new) or before (a redelivery, the
 * same id), and a message that has an id but is not one Haven can make a
 * record of (a response without a visit, say): that one is kept aside as it
 * arrived (record_add_refused) and confirmed with "refused", so the kiosk
 * drops it instead of sending it for ever, and nothing is lost silently.  A
 * message with no id cannot be confirmed: it is logged and dropped.  A
 * database error confirms nothing (the kiosk tries again).
 *
 * MQTT-free (the station publishes the confirmation); used under the
 * store's lock, from one thread.
 */
#ifndef HAVEN_STATION_INGEST_H
#define HAVEN_STATION_INGEST_H

#include "ids.h"
#include "record.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ingest ingest;

#define INGEST_PER_S 5        /* messages a second a room may send for the record */
#define INGEST_BURST 100      /* ... in bursts of this many (a day's outbox after an outage) */
#define INGEST_ROOMS_MAX 4096 /* rooms with a bucket of their own; more share one */

/* A new ingester with per-room buckets of per_s a second, bursts of burst.  NULL: no memory. */
ingest *ingest_new(int per_s, int burst);
void ingest_free(ingest *in);

enum ingest_kind { INGEST_RESPONSE, INGEST_CHECKIN };

struct ingest_result {
    bool confirm;            /* answer {"id":id} on P/room/R/kiosk/stored */
    bool is_new;             /* stored now (not a redelivery) */
    char id[HV_ID_MAX];
    const char *refused;     /* with confirm: why it is not in the record (kept aside), or NULL */
};

/*
 * Takes one message of kind from room (a configured room), json len bytes as
 * it arrived, into r.  Fills *out.  Returns 0 (stored, seen before or kept
 * aside), HV_ESTATE (over the room's rate), HV_ETOOBIG, HV_EPARSE (no id: not
 * confirmed), or HV_EDB.
 */
int ingest_take(ingest *in, record *r, const char *room, enum ingest_kind kind,
                const char *json, size_t len, int64_t now_ms, int64_t mono_ms,
                struct ingest_result *out);

/* Messages dropped over the rate since started (tests, figures). */
int64_t ingest_rate_dropped(const ingest *in);

#endif
