/*
 * test_course.c - what the clinician and the EHR see of a course
 * (station/course.c): the page's JSON (infusions, gaps, badges, change), the
 * CSV export (RFC 4180 quoting, formula injection), the FHIR searchset
 * Bundle (shape, the stored responses byte for byte), the patient list, the
 * FHIR read tokens (record.c), and the severity bands.
 */
#include "../unit/unit_util.h"
#include "course.h"
#include "record.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400000LL
#define T0 1796651587412LL   /* 2026-12-07T13:53:07.412Z */

static const char *const la[] = { "LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9" };

static const char *phq9(const char *id, const char *visit, int total, int item9)
{
    static char buf[1024];

    snprintf(buf, sizeof buf,
             "{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"%s\","
             "\"subject\":{\"reference\":\"Patient/P-1\"},"
             "\"encounter\":{\"reference\":\"Encounter/%s\"},"
             "\"questionnaire\":\"urn:haven:questionnaire:phq-9\",\"status\":\"completed\","
             "\"authored\":\"2026-12-07T14:00:00.000Z\",\"item\":["
             "{\"linkId\":\"44260-8\",\"answer\":[{\"valueCoding\":{\"system\":\"http://loinc.org\","
             "\"code\":\"%s\"}}]},"
             "{\"linkId\":\"44261-6\",\"answer\":[{\"valueInteger\":%d}]}]}",
             id, visit, la[item9], total);
    return buf;
}

/* P-1: six visits; PHQ-9 20, 15, (none), 12, 8, 4 with item 9 endorsed at #2; GAD-7 at #1. */
/* REQUIRE for a helper that returns a value: a seeding failure ends the test run. */
#define MUST(cond) do { if (!(cond)) { fprintf(stderr, "seeding failed: %s\n", #cond); abort(); } } while (0)

static record *seeded(void)
{
    static const int phq[6] = { 20, 15, -1, 12, 8, 4 };
    record *r = record_open(":memory:");
    char visit[32], id[32];
    const char *gad = "{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"gad-1\","
                      "\"encounter\":{\"reference\":\"Encounter/V-1\"},\"status\":\"completed\","
                      "\"item\":[{\"linkId\":\"70274-6\",\"answer\":[{\"valueInteger\":11}]}]}";

    MUST(r != NULL);
    for (int i = 0; i < 6; i++) {
        snprintf(visit, sizeof visit, "V-%d", i + 1);
        MUST(record_visit_begun(r, visit, "P-1", "chair-1", T0 + i * DAY) == 0);
        snprintf(id, sizeof id, "phq-%d", i + 1);
        if (phq[i] >= 0) {
            const char *j = phq9(id, visit, phq[i], i == 1 ? 2 : 0);
            MUST(record_add_response(r, "chair-1", j, strlen(j), T0) == RECORD_NEW);
        }
    }
    MUST(record_add_response(r, "chair-1", gad, strlen(gad), T0) == RECORD_NEW);
    MUST(record_visit_begun(r, "V-9", "P-2", "chair-2", T0 + 10 * DAY) == 0);
    return r;
}

static void test_bands(void)
{
    CHECK(course_phq9_band(-1) == NULL);
    CHECK_STR_EQ(course_phq9_band(4), "minimal");
    CHECK_STR_EQ(course_phq9_band(5), "mild");
    CHECK_STR_EQ(course_phq9_band(14), "moderate");
    CHECK_STR_EQ(course_phq9_band(15), "moderately severe");
    CHECK_STR_EQ(course_phq9_band(20), "severe");
    CHECK_STR_EQ(course_gad7_band(15), "severe");
    CHECK_STR_EQ(course_gad7_band(10), "moderate");
}

static void test_course_json(void)
{
    record *r = seeded();
    struct record_course c;
    cJSON *o, *inf;
    char *text;

    REQUIRE(record_course(r, "P-1", T0 + 6 * DAY, 14, &c) == 0);
    text = course_json(&c, 14);
    REQUIRE(text != NULL);
    o = cJSON_Parse(text);
    REQUIRE(o != NULL);
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "patient")->valuestring, "P-1");
    inf = cJSON_GetObjectItem(o, "infusions");
    CHECK_INT_EQ(cJSON_GetArraySize(inf), 6);
    CHECK_INT_EQ(cJSON_GetObjectItem(cJSON_GetArrayItem(inf, 0), "n")->valueint, 1);
    CHECK_INT_EQ(cJSON_GetObjectItem(cJSON_GetArrayItem(inf, 0), "phq9")->valueint, 20);
    CHECK_INT_EQ(cJSON_GetObjectItem(cJSON_GetArrayItem(inf, 0), "gad7")->valueint, 11);
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(inf, 1), "gad7")));
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(inf, 1), "item9_endorsed")));
    CHECK_INT_EQ(cJSON_GetObjectItem(cJSON_GetArrayItem(inf, 1), "item9")->valueint, 2);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(inf, 2), "questionnaire")));
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(inf, 2), "phq9")));
    CHECK_STR_EQ(cJSON_GetObjectItem(cJSON_GetArrayItem(inf, 5), "date")->valuestring,
                 "2026-12-12T13:53:07.412Z");
    CHECK_INT_EQ(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "phq9"), "baseline")->valueint, 20);
    CHECK_INT_EQ(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "phq9"), "latest")->valueint, 4);
    CHECK_INT_EQ(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "phq9"), "change_pct")->valueint, -80);
    CHECK_STR_EQ(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "phq9"), "latest_band")->valuestring,
                 "minimal");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(o, "response")));
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(o, "remission")));
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(o, "dropped_out")));
    CHECK_INT_EQ(cJSON_GetObjectItem(o, "item9_endorsements")->valueint, 1);
    CHECK_INT_EQ(cJSON_GetObjectItem(o, "without_questionnaire")->valueint, 1);
    cJSON_Delete(o);
    free(text);
    /* Thirty days on with no visit: dropped out. */
    REQUIRE(record_course(r, "P-1", T0 + 40 * DAY, 14, &c) == 0);
    text = course_json(&c, 14);
    CHECK(strstr(text, "\"dropped_out\":true") != NULL);
    free(text);
    record_close(r);
}

static void test_csv_quoting_and_injection(void)
{
    char out[256] = "";

    CHECK_INT_EQ(course_csv_field(out, sizeof out, "plain"), 0);
    CHECK_STR_EQ(out, "plain");
    out[0] = '\0';
    course_csv_field(out, sizeof out, "a,b \"c\"");
    CHECK_STR_EQ(out, "\"a,b \"\"c\"\"\"");
    out[0] = '\0';
    course_csv_field(out, sizeof out, "=HYPERLINK(\"x\")");
    CHECK_STR_EQ(out, "\"'=HYPERLINK(\"\"x\"\")\"");
    for (const char *const *v = (const char *const[]){ "+1", "-1", "@SUM(A1)", NULL }; *v; v++) {
        out[0] = '\0';
        course_csv_field(out, sizeof out, *v);
        CHECK(out[0] == '\'' && strcmp(out + 1, *v) == 0);
    }
    out[0] = '\0';
    course_csv_field(out, sizeof out, "line\nbreak");
    CHECK_STR_EQ(out, "\"line\nbreak\"");
    char tiny[6] = "";
    CHECK_INT_EQ(course_csv_field(tiny, sizeof tiny, "too long"), -1);
}

static void test_csv_rows(void)
{
    record *r = seeded();
    struct record_course c;
    char *csv;

    REQUIRE(record_course(r, "P-1", T0 + 6 * DAY, 14, &c) == 0);
    csv = course_csv(&c);
    REQUIRE(csv != NULL);
    CHECK(strncmp(csv, "patient,infusion,visit,date,phq9,phq9_severity,gad7,gad7_severity,"
                       "item9,item9_endorsed,questionnaire\r\n", 94) == 0);
    CHECK(strstr(csv, "\r\nP-1,1,V-1,2026-12-07T13:53:07.412Z,20,severe,11,moderate,0,no,yes\r\n"));
    CHECK(strstr(csv, "\r\nP-1,2,V-2,2026-12-08T13:53:07.412Z,15,moderately severe,,,2,yes,yes\r\n"));
    CHECK(strstr(csv, "\r\nP-1,3,V-3,2026-12-09T13:53:07.412Z,,,,,,no,no\r\n"));
    int lines = 0;
    for (const char *p = csv; (p = strstr(p, "\r\n")); p += 2)
        lines++;
    CHECK_INT_EQ(lines, 7);
    free(csv);
    record_close(r);
}

struct collect {
    char *all[16];
    int n;
};

static int collect(void *ctx, const char *id, const char *json)
{
    struct collect *c = ctx;

    (void)id;
    if (c->n < 16)
        c->all[c->n++] = strdup(json);
    return 0;
}

static void test_bundle_shape_and_bytes(void)
{
    record *r = seeded();
    struct collect stored = { 0 };
    int status = -1;
    char *text = course_bundle(r, "P-1", "https://station:8443", T0, &status);
    cJSON *o, *entries, *e;
    int i = 0;

    REQUIRE(text != NULL);
    CHECK_INT_EQ(status, 0);
    o = cJSON_Parse(text);
    REQUIRE(o != NULL);
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "resourceType")->valuestring, "Bundle");
    CHECK_STR_EQ(cJSON_GetObjectItem(o, "type")->valuestring, "searchset");
    CHECK_INT_EQ(cJSON_GetObjectItem(o, "total")->valueint, 6);
    entries = cJSON_GetObjectItem(o, "entry");
    CHECK_INT_EQ(cJSON_GetArraySize(entries), 6);
    e = cJSON_GetArrayItem(entries, 0);
    CHECK_STR_EQ(cJSON_GetObjectItem(e, "fullUrl")->valuestring,
                 "https://station:8443/fhir/QuestionnaireResponse/gad-1");
    CHECK_STR_EQ(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "search"), "mode")->valuestring,
                 "match");
    /* Every stored response is in the text byte for byte, in order. */
    REQUIRE(record_each_response(r, "P-1", collect, &stored) == 0);
    CHECK_INT_EQ(stored.n, 6);
    const char *at = text;
    for (i = 0; i < stored.n; i++) {
        const char *hit = strstr(at, stored.all[i]);
        CHECK(hit != NULL);
        at = hit ? hit + 1 : at;
        free(stored.all[i]);
    }
    cJSON_Delete(o);
    free(text);
    /* A patient with visits but no responses: an empty searchset. */
    text = course_bundle(r, "P-2", "http://h", T0, &status);
    CHECK(text && strstr(text, "\"total\":0,") && strstr(text, "\"entry\":[]}"));
    free(text);
    CHECK(course_bundle(r, "bad key!", "http://h", T0, &status) == NULL);
    CHECK_INT_EQ(status, HV_EINVAL);
    CHECK(course_bundle(r, "P-1", "http://h\"", T0, &status) == NULL);
    record_close(r);
}

static void test_patients_and_outcome(void)
{
    record *r = seeded();
    char *text = course_patients(r, T0 + 6 * DAY, 14);
    cJSON *o = cJSON_Parse(text), *list;

    REQUIRE(o != NULL);
    list = cJSON_GetObjectItem(o, "patients");
    CHECK_INT_EQ(cJSON_GetArraySize(list), 2);
    CHECK_STR_EQ(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "key")->valuestring, "P-2");
    CHECK_INT_EQ(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 1), "visits")->valueint, 6);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(o, "truncated")));
    cJSON_Delete(o);
    free(text);
    text = course_outcome("login", "a \"bearer\" token");
    CHECK(text && strstr(text, "\"resourceType\":\"OperationOutcome\"") &&
          strstr(text, "a \\\"bearer\\\" token"));
    free(text);
    record_close(r);
}

static void test_tokens(void)
{
    record *r = record_open(":memory:");

    REQUIRE(r != NULL);
    CHECK_INT_EQ(record_token_check(r, "abc", T0), HV_ENOTFOUND);
    CHECK_INT_EQ(record_token_add(r, "abc", "k-1", "alex", T0, T0 + DAY), 0);
    CHECK_INT_EQ(record_token_check(r, "abc", T0 + 1), 0);
    CHECK_INT_EQ(record_token_check(r, "abc", T0 + DAY), HV_ENOTFOUND);   /* expired */
    CHECK_INT_EQ(record_token_check(r, "abd", T0 + 1), HV_ENOTFOUND);
    CHECK_INT_EQ(record_token_revoke(r, "k-1", T0 + 2), 0);
    CHECK_INT_EQ(record_token_check(r, "abc", T0 + 3), HV_ENOTFOUND);
    CHECK_INT_EQ(record_token_revoke(r, "k-1", T0 + 4), HV_ENOTFOUND);
    CHECK_INT_EQ(record_token_add(r, "def", "k-2", "alex", T0 + 5, T0 + DAY), 0);
    char *list = course_tokens(r, T0 + 6);
    CHECK(list && strstr(list, "{\"tokens\":[{\"label\":\"k-2\",\"issued_by\":\"alex\","));
    CHECK(list && strstr(list, "\"state\":\"live\"") && strstr(list, "\"state\":\"revoked\""));
    CHECK(list && !strstr(list, "abc") && !strstr(list, "def"));   /* never the hashes */
    free(list);
    record_close(r);
}

int main(void)
{
    RUN(test_bands);
    RUN(test_course_json);
    RUN(test_csv_quoting_and_injection);
    RUN(test_csv_rows);
    RUN(test_bundle_shape_and_bytes);
    RUN(test_patients_and_outcome);
    RUN(test_tokens);
    unit_cleanup();
    return CHECK_SUMMARY();
}
