/*
 * course.c - the course page's JSON, the CSV export, the FHIR searchset
 * Bundle and the patient picker's list (course.h).  cJSON builds the JSON;
 * the Bundle is written as text around the stored responses so that each one
 * stays exactly the bytes the kiosk sent (it was parsed when it was stored).
 */
#include "course.h"
#include "clock.h"
#include "err.h"
#include "log.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *course_phq9_band(int t)
{
    if (t < 0)
        return NULL;
    return t <= 4 ? "minimal" : t <= 9 ? "mild" : t <= 14 ? "moderate"
         : t <= 19 ? "moderately severe" : "severe";
}

const char *course_gad7_band(int t)
{
    if (t < 0)
        return NULL;
    return t <= 4 ? "minimal" : t <= 9 ? "mild" : t <= 14 ? "moderate" : "severe";
}

/* A score, or null when there is none (-1). */
static void add_score(cJSON *o, const char *name, int v)
{
    if (v >= 0)
        cJSON_AddNumberToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

static void add_time(cJSON *o, const char *name, int64_t ms)
{
    char ts[HV_TS_LEN];

    clock_format_rfc3339(ms, ts);
    cJSON_AddStringToObject(o, name, ts);
}

static cJSON *infusion_json(const struct record_infusion *f, int n)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddNumberToObject(o, "n", n);
    cJSON_AddStringToObject(o, "visit", f->visit);
    add_time(o, "date", f->begun_ms);
    add_score(o, "phq9", f->phq9);
    add_score(o, "gad7", f->gad7);
    add_score(o, "item9", f->item9);
    cJSON_AddBoolToObject(o, "item9_endorsed", f->item9_endorsed);
    /* Who acknowledged the visit's safety call (the item 9 call), when one is recorded. */
    if (f->item9_endorsed && f->item9_ack_by[0]) {
        cJSON_AddStringToObject(o, "acknowledged_by", f->item9_ack_by);
        add_time(o, "acknowledged", f->item9_ack_ms);
    } else {
        cJSON_AddNullToObject(o, "acknowledged_by");
    }
    cJSON_AddBoolToObject(o, "questionnaire", f->responses > 0);
    cJSON_AddNumberToObject(o, "responses", f->responses);
    return o;
}

static cJSON *measure_json(int baseline, int latest, const char *(*band)(int))
{
    cJSON *o = cJSON_CreateObject();

    add_score(o, "baseline", baseline);
    add_score(o, "latest", latest);
    if (baseline >= 0)
        cJSON_AddStringToObject(o, "baseline_band", band(baseline));
    if (latest >= 0)
        cJSON_AddStringToObject(o, "latest_band", band(latest));
    return o;
}

char *course_json(const struct record_course *c, int dropout_days)
{
    cJSON *o = cJSON_CreateObject(), *infs, *phq;
    char *text;

    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "patient", c->patient);
    cJSON_AddNumberToObject(o, "dropout_days", dropout_days);
    infs = cJSON_AddArrayToObject(o, "infusions");
    for (int i = 0; i < c->n; i++)
        cJSON_AddItemToArray(infs, infusion_json(&c->inf[i], i + 1));
    cJSON_AddBoolToObject(o, "truncated", c->truncated);
    phq = measure_json(c->baseline_phq9, c->latest_phq9, course_phq9_band);
    if (c->baseline_phq9 > 0 && c->latest_phq9 >= 0)
        cJSON_AddNumberToObject(phq, "change_pct", c->phq9_change_pct);
    else
        cJSON_AddNullToObject(phq, "change_pct");
    cJSON_AddItemToObject(o, "phq9", phq);
    cJSON_AddItemToObject(o, "gad7", measure_json(c->baseline_gad7, c->latest_gad7,
                                                  course_gad7_band));
    cJSON_AddBoolToObject(o, "response", c->response);
    cJSON_AddBoolToObject(o, "remission", c->remission);
    cJSON_AddBoolToObject(o, "dropped_out", c->dropped_out);
    if (c->n > 0)
        add_time(o, "last_visit", c->last_visit_ms);
    cJSON_AddNumberToObject(o, "item9_endorsements", c->item9_endorsements);
    cJSON_AddNumberToObject(o, "without_questionnaire", c->without_questionnaire);
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

/* ---- CSV ---------------------------------------------------------------------------------- */

int course_csv_field(char *out, size_t cap, const char *v)
{
    size_t o = strlen(out);
    bool quote = strpbrk(v, ",\"\r\n") != NULL;
    bool guard = strchr("=+-@\t\r", v[0]) != NULL && v[0] != '\0';

    if (o + 2 >= cap)
        return -1;
    if (quote)
        out[o++] = '"';
    if (guard)
        out[o++] = '\'';
    for (; *v; v++) {
        if (o + 3 >= cap)
            return -1;
        if (*v == '"')
            out[o++] = '"';
        out[o++] = *v;
    }
    if (quote)
        out[o++] = '"';
    out[o] = '\0';
    return 0;
}

/* Appends text as it is: 0, or -1 when it does not fit. */
static int raw_put(char *out, size_t cap, const char *text)
{
    size_t o = strlen(out), n = strlen(text);

    if (o + n + 1 > cap)
        return -1;
    memcpy(out + o, text, n + 1);
    return 0;
}

static void csv_int(char *buf, size_t len, int v)
{
    if (v >= 0)
        snprintf(buf, len, "%d", v);
    else
        buf[0] = '\0';
}

/* One infusion's row (CRLF-terminated) appended to out. */
static int csv_row(char *out, size_t cap, const char *patient, int n,
                   const struct record_infusion *f)
{
    char num[16], phq[16], gad[16], item9[16], date[HV_TS_LEN];
    const char *b1 = course_phq9_band(f->phq9), *b2 = course_gad7_band(f->gad7);
    const char *fields[] = { patient, num, f->visit, date, phq, b1 ? b1 : "", gad, b2 ? b2 : "",
                             item9, f->item9_endorsed ? "yes" : "no",
                             f->responses > 0 ? "yes" : "no" };

    snprintf(num, sizeof num, "%d", n);
    clock_format_rfc3339(f->begun_ms, date);
    csv_int(phq, sizeof phq, f->phq9);
    csv_int(gad, sizeof gad, f->gad7);
    csv_int(item9, sizeof item9, f->item9);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (i && raw_put(out, cap, ",") != 0)
            return -1;
        if (course_csv_field(out, cap, fields[i]) != 0)
            return -1;
    }
    return raw_put(out, cap, "\r\n");
}

char *course_csv(const struct record_course *c)
{
    static const char header[] = "patient,infusion,visit,date,phq9,phq9_severity,gad7,"
                                 "gad7_severity,item9,item9_endorsed,questionnaire\r\n";
    size_t cap = sizeof header + (size_t)(c->n + 1) * 512;
    char *out = malloc(cap);

    if (!out)
        return NULL;
    snprintf(out, cap, "%s", header);
    for (int i = 0; i < c->n; i++) {
        if (csv_row(out, cap, c->patient, i + 1, &c->inf[i]) != 0) {
            free(out);
            return NULL;
        }
    }
    return out;
}

/* ---- the FHIR searchset Bundle ------------------------------------------------------------ */

struct buf {
    char *p;
    size_t len, cap;
    bool failed;
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *p;
        while (cap < b->len + n + 1)
            cap *= 2;
        p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

struct bundle_ctx {
    struct buf entries;
    const char *base;
    int total;
};

/* One entry: fullUrl, the stored resource as it is, search.mode "match". */
static int bundle_entry(void *ctx, const char *id, const char *json)
{
    struct bundle_ctx *bc = ctx;

    if (bc->total == COURSE_BUNDLE_MAX) {
        log_warn("course: a FHIR search stopped at %d responses", COURSE_BUNDLE_MAX);
        return 1;
    }
    buf_str(&bc->entries, bc->total ? ",{\"fullUrl\":\"" : "{\"fullUrl\":\"");
    buf_str(&bc->entries, bc->base);
    buf_str(&bc->entries, "/fhir/QuestionnaireResponse/");
    buf_str(&bc->entries, id);      /* an id: [A-Za-z0-9._:-], nothing to escape */
    buf_str(&bc->entries, "\",\"resource\":");
    buf_str(&bc->entries, json);
    buf_str(&bc->entries, ",\"search\":{\"mode\":\"match\"}}");
    bc->total++;
    return 0;
}

/* True when base is printable ASCII with no quote or backslash (it goes into JSON as it is). */
static bool base_ok(const char *base)
{
    if (!base || strlen(base) >= COURSE_BASE_MAX)
        return false;
    for (const char *p = base; *p; p++)
        if (*p <= ' ' || *p > '~' || *p == '"' || *p == '\\')
            return false;
    return true;
}

char *course_bundle(record *r, const char *patient, const char *base, int64_t now, int *status)
{
    struct bundle_ctx bc = { .base = base };
    struct buf out = { 0 };
    char head[512], ts[HV_TS_LEN];
    int rc;

    if (!base_ok(base)) {
        *status = HV_EINVAL;
        return NULL;
    }
    rc = record_each_response(r, patient, bundle_entry, &bc);
    if (rc != 0 || bc.entries.failed) {
        free(bc.entries.p);
        *status = rc ? rc : HV_ENOMEM;
        return NULL;
    }
    clock_format_rfc3339(now, ts);
    snprintf(head, sizeof head,
             "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"timestamp\":\"%s\","
             "\"total\":%d,\"link\":[{\"relation\":\"self\",\"url\":\"%s/fhir/"
             "QuestionnaireResponse?subject=Patient/%s\"}],\"entry\":[",
             ts, bc.total, base, patient);
    buf_str(&out, head);
    if (bc.entries.p)
        buf_put(&out, bc.entries.p, bc.entries.len);
    buf_str(&out, "]}");
    free(bc.entries.p);
    if (out.failed) {
        free(out.p);
        *status = HV_ENOMEM;
        return NULL;
    }
    *status = 0;
    return out.p;
}

/* ---- the patient picker, and errors ------------------------------------------------------- */

struct patients_ctx {
    cJSON *list;
    int64_t now, dropout_ms;
    int n;
};

static int patient_item(void *ctx, const char *key, int64_t last_ms, int visits)
{
    struct patients_ctx *pc = ctx;
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "key", key);
    add_time(o, "last_visit", last_ms);
    cJSON_AddNumberToObject(o, "visits", visits);
    cJSON_AddBoolToObject(o, "dropped_out",
                          pc->dropout_ms > 0 && pc->now - last_ms > pc->dropout_ms);
    cJSON_AddItemToArray(pc->list, o);
    pc->n++;
    return 0;
}

char *course_patients(record *r, int64_t now, int dropout_days)
{
    cJSON *o = cJSON_CreateObject();
    struct patients_ctx pc = { .now = now, .dropout_ms = (int64_t)dropout_days * 86400000 };
    char *text = NULL;

    if (!o)
        return NULL;
    pc.list = cJSON_AddArrayToObject(o, "patients");
    /* One more than shown says whether the list was cut. */
    if (record_each_patient(r, COURSE_PATIENTS_MAX + 1, patient_item, &pc) == 0) {
        bool cut = pc.n > COURSE_PATIENTS_MAX;
        if (cut)
            cJSON_DeleteItemFromArray(pc.list, COURSE_PATIENTS_MAX);
        cJSON_AddBoolToObject(o, "truncated", cut);
        text = cJSON_PrintUnformatted(o);
    }
    cJSON_Delete(o);
    return text;
}

static int token_item(void *ctx, const char *label, const char *by, int64_t issued_ms,
                      int64_t expires_ms, int64_t revoked_ms)
{
    cJSON *list = ((void **)ctx)[0], *o = cJSON_CreateObject();
    int64_t now = *(const int64_t *)((void **)ctx)[1];

    cJSON_AddStringToObject(o, "label", label);
    cJSON_AddStringToObject(o, "issued_by", by);
    add_time(o, "issued", issued_ms);
    add_time(o, "expires", expires_ms);
    cJSON_AddStringToObject(o, "state", revoked_ms ? "revoked" : now >= expires_ms ? "expired"
                                                                                   : "live");
    cJSON_AddItemToArray(list, o);
    return 0;
}

char *course_tokens(record *r, int64_t now)
{
    cJSON *o = cJSON_CreateObject();
    void *ctx[2];
    char *text = NULL;

    if (!o)
        return NULL;
    ctx[0] = cJSON_AddArrayToObject(o, "tokens");
    ctx[1] = &now;
    if (record_each_token(r, 100, token_item, ctx) == 0)
        text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

char *course_outcome(const char *code, const char *diagnostics)
{
    cJSON *o = cJSON_CreateObject(), *issues, *issue;
    char *text;

    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "resourceType", "OperationOutcome");
    issues = cJSON_AddArrayToObject(o, "issue");
    issue = cJSON_CreateObject();
    cJSON_AddStringToObject(issue, "severity", "error");
    cJSON_AddStringToObject(issue, "code", code);
    cJSON_AddStringToObject(issue, "diagnostics", diagnostics);
    cJSON_AddItemToArray(issues, issue);
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}
