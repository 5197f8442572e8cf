/*
 * ingest.c - responses and check-ins from the kiosks into the course store
 * (ingest.h): a size bound, a token bucket per room, then record.c, and what
 * to confirm.
 */
#include "ingest.h"
#include "err.h"
#include "log.h"
#include "mqtt.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bucket {
    char room[HV_ID_MAX];
    double tokens;
    int64_t last_ms;
};

struct ingest {
    int per_s, burst;
    struct bucket *b;           /* one per room seen, in the order seen */
    int n, cap;
    int64_t dropped;
};

/* Rate-limited log lines: a flooding kiosk must not flood the log too. */
static struct log_ratelimit over_rl = LOG_RATELIMIT_INIT(10, 1000);
static struct log_ratelimit bad_rl = LOG_RATELIMIT_INIT(20, 1000);

ingest *ingest_new(int per_s, int burst)
{
    ingest *in = calloc(1, sizeof *in);

    if (!in)
        return NULL;
    in->per_s = per_s > 0 ? per_s : INGEST_PER_S;
    in->burst = burst > 0 ? burst : INGEST_BURST;
    return in;
}

void ingest_free(ingest *in)
{
    if (!in)
        return;
    free(in->b);
    free(in);
}

int64_t ingest_rate_dropped(const ingest *in)
{
    return in->dropped;
}

/* room's bucket (a new one full); past INGEST_ROOMS_MAX rooms the last one is shared. */
static struct bucket *bucket_of(ingest *in, const char *room, int64_t mono)
{
    for (int i = 0; i < in->n; i++)
        if (strcmp(in->b[i].room, room) == 0)
            return &in->b[i];
    if (in->n == in->cap && in->cap < INGEST_ROOMS_MAX) {
        int cap = in->cap ? in->cap * 2 : 16;
        struct bucket *grown = realloc(in->b, (size_t)cap * sizeof *grown);
        if (grown) {
            in->b = grown;
            in->cap = cap;
        }
    }
    if (in->n == in->cap)
        return in->n ? &in->b[in->n - 1] : NULL;
    snprintf(in->b[in->n].room, sizeof in->b[in->n].room, "%s", room);
    in->b[in->n].tokens = in->burst;
    in->b[in->n].last_ms = mono;
    return &in->b[in->n++];
}

/* True when room may send one more now (takes its token). */
static bool rate_take(ingest *in, const char *room, int64_t mono)
{
    struct bucket *b = bucket_of(in, room, mono);

    if (!b)
        return true;   /* no memory for a bucket: let it through, the size bound holds */
    if (mono > b->last_ms) {
        b->tokens += (double)(mono - b->last_ms) * in->per_s / 1000.0;
        if (b->tokens > in->burst)
            b->tokens = in->burst;
        b->last_ms = mono;
    }
    if (b->tokens < 1.0)
        return false;
    b->tokens -= 1.0;
    return true;
}

/* The message's "id" into id: true when it has a valid one. */
static bool message_id(const char *json, size_t len, char id[HV_ID_MAX])
{
    cJSON *o = cJSON_ParseWithLength(json, len);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "id");
    bool ok = cJSON_IsString(v) && ids_valid(v->valuestring);

    id[0] = '\0';
    if (ok)
        snprintf(id, HV_ID_MAX, "%s", v->valuestring);
    cJSON_Delete(o);
    return ok;
}

int ingest_take(ingest *in, record *r, const char *room, enum ingest_kind kind,
                const char *json, size_t len, int64_t now_ms, int64_t mono_ms,
                struct ingest_result *out)
{
    const char *what = kind == INGEST_RESPONSE ? "response" : "check-in";
    int rc;

    memset(out, 0, sizeof *out);
    if (len > HV_PAYLOAD_MAX) {
        log_limited(&bad_rl, LOG_WARN, "ingest: %s from %s dropped: %zu bytes (limit %d)",
                    what, room, len, HV_PAYLOAD_MAX);
        return HV_ETOOBIG;
    }
    if (!rate_take(in, room, mono_ms)) {
        in->dropped++;
        log_limited(&over_rl, LOG_WARN, "ingest: rate-limited: %s from %s dropped unconfirmed, "
                    "over the room's %d/s (bursts of %d); its kiosk sends it again", what, room,
                    in->per_s, in->burst);
        return HV_ESTATE;
    }
    if (!message_id(json, len, out->id)) {
        log_limited(&bad_rl, LOG_WARN, "ingest: %s from %s dropped: not JSON with a valid "
                    "\"id\" (nothing to confirm)", what, room);
        return HV_EPARSE;
    }
    rc = kind == INGEST_RESPONSE ? record_add_response(r, room, json, len, now_ms)
                                 : record_add_checkin(r, room, json, len, now_ms);
    if (rc == RECORD_NEW || rc == RECORD_SEEN) {
        out->confirm = true;
        out->is_new = rc == RECORD_NEW;
        if (rc == RECORD_NEW)
            log_info("ingest: %s %s from %s stored", what, out->id, room);
        return 0;
    }
    if (rc != HV_EINVAL && rc != HV_EPARSE) {
        log_error("ingest: %s %s from %s not stored (%s): not confirmed, its kiosk sends it "
                  "again", what, out->id, room, hv_strerror(rc));
        return rc;
    }
    /* Not something the record can hold (record.c logged why): kept aside as it came,
     * and confirmed, so the kiosk neither loses it silently nor sends it for ever. */
    out->refused = kind == INGEST_RESPONSE ? "not a QuestionnaireResponse the record can keep"
                                           : "not a check-in the record can keep";
    rc = record_add_refused(r, room, what, out->id, out->refused, json, len, now_ms);
    if (rc < 0) {
        log_error("ingest: %s %s from %s refused and not kept aside (%s): not confirmed",
                  what, out->id, room, hv_strerror(rc));
        out->refused = NULL;
        return rc;
    }
    log_warn("ingest: %s %s from %s refused (%s): kept aside as it arrived, confirmed so the "
             "kiosk drops it", what, out->id, room, out->refused);
    out->confirm = true;
    return 0;
}
