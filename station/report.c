/*
 * report.c - the response-time report on the station's side: the request it
 * sends the controller, the check of the reply it gets back (untrusted bytes
 * off the broker: every field's type and range), and the CSV the charge
 * nurse downloads.  The shapes are in report.h and docs/protocol.md
 * ("The response-time report").
 */
#include "report.h"
#include "clock.h"
#include "contract.h"
#include "err.h"
#include "ids.h"
#include "mqtt.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_ROWS_MAX 10000
#define REPORT_TARGET_MAX 86400     /* s: a target of a day is already no target */

/* The time columns of a row (seconds, null when none), in CSV order. */
static const char *const time_keys[] = {
    "ack_p50_s", "ack_p90_s", "ack_max_s", "clear_p50_s", "clear_p90_s", "clear_max_s",
};
#define NTIME_KEYS (sizeof time_keys / sizeof time_keys[0])

/* ---- the request ---------------------------------------------------------------- */

static bool params_valid(const struct report_params *p)
{
    if (p->since_ms <= 0 || p->until_ms <= p->since_ms)
        return false;
    if (p->day_starts_min < 0 || p->day_starts_min >= 1440 || p->night_starts_min < 0 ||
        p->night_starts_min >= 1440 || p->day_starts_min == p->night_starts_min)
        return false;
    for (int i = 0; i < PRIO_COUNT; i++)
        if (p->target_s[i] <= 0 || p->target_s[i] > REPORT_TARGET_MAX)
            return false;
    return true;
}

static void add_hhmm(cJSON *o, const char *key, int min)
{
    char s[8];
    snprintf(s, sizeof s, "%02d:%02d", min / 60 % 24, min % 60);
    cJSON_AddStringToObject(o, key, s);
}

static void add_ts(cJSON *o, const char *key, int64_t ms)
{
    char ts[HV_TS_LEN];
    clock_format_rfc3339(ms, ts);
    cJSON_AddStringToObject(o, key, ts);
}

char *report_request_json(const char *id, const struct report_params *p)
{
    cJSON *o, *t;
    char *text;

    if (!id || !ids_valid(id) || !p || !params_valid(p))
        return NULL;
    o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "id", id);
    add_ts(o, "since", p->since_ms);
    add_ts(o, "until", p->until_ms);
    add_hhmm(o, "day_starts", p->day_starts_min);
    add_hhmm(o, "night_starts", p->night_starts_min);
    t = cJSON_AddObjectToObject(o, "target_s");
    for (int i = PRIO_COUNT - 1; t && i >= 0; i--)   /* urgent, assist, routine */
        cJSON_AddNumberToObject(t, priority_name((enum priority)i), p->target_s[i]);
    text = t ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return text;
}

/* ---- the reply ---------------------------------------------------------------- */

static bool is_count(const cJSON *v)
{
    return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 1e9 &&
           v->valuedouble == (double)(int)v->valuedouble;
}

/* A number in [0, max] or null. */
static bool is_opt_number(const cJSON *v, double max)
{
    return cJSON_IsNull(v) || (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= max);
}

static bool is_time(const cJSON *v)
{
    int64_t ms;
    return cJSON_IsString(v) && clock_parse_rfc3339(v->valuestring, &ms) == 0;
}

static const cJSON *get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static bool row_valid(const cJSON *r)
{
    const cJSON *room = get(r, "room"), *prio = get(r, "priority"), *shift = get(r, "shift");
    const cJSON *calls = get(r, "calls"), *ack = get(r, "acknowledged"), *clr = get(r, "cleared");

    if (!cJSON_IsObject(r) || !cJSON_IsString(room) || !room_id_valid(room->valuestring) ||
        !cJSON_IsString(prio) || priority_from_name(prio->valuestring) < 0 ||
        !cJSON_IsString(shift) ||
        (strcmp(shift->valuestring, "day") && strcmp(shift->valuestring, "night")))
        return false;
    if (!is_count(calls) || !is_count(ack) || !is_count(clr) ||
        ack->valuedouble > calls->valuedouble || clr->valuedouble > calls->valuedouble)
        return false;
    for (size_t i = 0; i < NTIME_KEYS; i++)
        if (!is_opt_number(get(r, time_keys[i]), 366.0 * 86400))
            return false;
    return is_opt_number(get(r, "within_target_pct"), 100);
}

/* Parses and checks a reply; the root (caller deletes) or NULL. want_id NULL: any id. */
static cJSON *reply_parse(const char *json, size_t len, const char *want_id)
{
    cJSON *root;
    const cJSON *id, *ctl, *rows, *r, *trunc;
    int n = 0;

    if (!json || len == 0 || len > HV_PAYLOAD_MAX || memchr(json, '\0', len) ||
        !utf8_valid(json, len))
        return NULL;
    root = cJSON_ParseWithLength(json, len);
    if (!cJSON_IsObject(root))
        goto fail;
    id = get(root, "id");
    ctl = get(root, "controller");
    rows = get(root, "rows");
    trunc = get(root, "truncated");
    if (!cJSON_IsString(id) || !ids_valid(id->valuestring) ||
        (want_id && strcmp(id->valuestring, want_id) != 0))
        goto fail;
    if (!cJSON_IsString(ctl) || !login_valid(ctl->valuestring) ||
        !is_time(get(root, "generated")) || !is_time(get(root, "since")) ||
        !is_time(get(root, "until")) || (trunc && !cJSON_IsBool(trunc)) || !cJSON_IsArray(rows))
        goto fail;
    cJSON_ArrayForEach(r, rows)
        if (++n > REPORT_ROWS_MAX || !row_valid(r))
            goto fail;
    return root;
fail:
    cJSON_Delete(root);
    return NULL;
}

int report_reply_check(const char *json, size_t len, const char *want_id)
{
    cJSON *root;

    if (!want_id)
        return HV_EINVAL;
    root = reply_parse(json, len, want_id);
    if (!root)
        return HV_EINVAL;
    cJSON_Delete(root);
    return 0;
}

/* ---- CSV ---------------------------------------------------------------------------- */

struct buf {
    char *s;
    size_t len, cap;
    bool failed;
};

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->failed)
        return;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = true;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        char *p = realloc(b->s, b->cap * 2 + (size_t)n);
        if (!p) {
            b->failed = true;
            return;
        }
        b->s = p;
        b->cap = b->cap * 2 + (size_t)n;
    }
}

/* A nullable number: empty for null, one decimal otherwise. */
static void csv_number(struct buf *b, const cJSON *v)
{
    if (cJSON_IsNumber(v))
        buf_printf(b, ",%.1f", v->valuedouble);
    else
        buf_printf(b, ",");
}

/*
 * Every text field of a checked row is a room id, a priority or a shift
 * ([a-z0-9-]), so nothing needs quoting and no cell can start a formula.
 */
char *report_reply_csv(const char *json, size_t len)
{
    cJSON *root = reply_parse(json, len, NULL);
    const cJSON *r;
    struct buf b = { 0 };

    if (!root)
        return NULL;
    b.cap = 4096;
    b.s = malloc(b.cap);
    if (!b.s) {
        cJSON_Delete(root);
        return NULL;
    }
    buf_printf(&b, "room,priority,shift,calls,acknowledged,cleared");
    for (size_t i = 0; i < NTIME_KEYS; i++)
        buf_printf(&b, ",%s", time_keys[i]);
    buf_printf(&b, ",within_target_pct\r\n");
    cJSON_ArrayForEach(r, get(root, "rows")) {
        buf_printf(&b, "%s,%s,%s,%d,%d,%d", get(r, "room")->valuestring,
                   get(r, "priority")->valuestring, get(r, "shift")->valuestring,
                   (int)get(r, "calls")->valuedouble, (int)get(r, "acknowledged")->valuedouble,
                   (int)get(r, "cleared")->valuedouble);
        for (size_t i = 0; i < NTIME_KEYS; i++)
            csv_number(&b, get(r, time_keys[i]));
        csv_number(&b, get(r, "within_target_pct"));
        buf_printf(&b, "\r\n");
    }
    cJSON_Delete(root);
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
