/*
 * test_record.c - the patient's course (station/record.c): responses kept once
 * and byte for byte, the course's infusions in order with PHQ-9, GAD-7 and
 * item 9, the response/remission/drop-out rules, visits without a
 * questionnaire, what is refused (and logged, naming the chair), 0600 and a
 * store that survives a restart.
 */
#include "../unit/unit_util.h"
#include "record.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DAY 86400000LL
#define T0 1796651587412LL   /* 2026-12-07T13:53:07.412Z */

static const char *const la[] = { "LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9" };

/* A PHQ-9 response of visit with total, item 9 answered as item9 (-1: not at all shown). */
static const char *phq9(const char *id, const char *visit, const char *patient, int total,
                        int item9, const char *status)
{
    static char buf[2048];
    char subject[160] = "";

    if (patient)
        snprintf(subject, sizeof subject, "\"subject\":{\"reference\":\"Patient/%s\"},", patient);
    snprintf(buf, sizeof buf,
             "{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"%s\",%s"
             "\"encounter\":{\"reference\":\"Encounter/%s\"},"
             "\"questionnaire\":\"urn:haven:questionnaire:phq-9\",\"status\":\"%s\","
             "\"authored\":\"2026-12-07T14:00:00.000Z\",\"item\":["
             "{\"linkId\":\"44250-9\",\"answer\":[{\"valueCoding\":{\"system\":\"http://loinc.org\","
             "\"code\":\"LA6569-3\"}}]}%s%s%s,"
             "{\"linkId\":\"44261-6\",\"answer\":[{\"valueInteger\":%d}]}]}",
             id, subject, visit, status ? status : "completed",
             item9 >= 0 ? ",{\"linkId\":\"44260-8\",\"answer\":[{\"valueCoding\":{\"code\":\"" : "",
             item9 >= 0 ? la[item9] : "", item9 >= 0 ? "\"}}]}" : "", total);
    return buf;
}

static const char *gad7(const char *id, const char *visit, int total)
{
    static char buf[1024];

    snprintf(buf, sizeof buf,
             "{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"%s\","
             "\"encounter\":{\"reference\":\"Encounter/%s\"},\"status\":\"completed\","
             "\"item\":[{\"linkId\":\"70274-6\",\"answer\":[{\"valueInteger\":%d}]}]}",
             id, visit, total);
    return buf;
}

static int add(record *r, const char *json)
{
    return record_add_response(r, "chair-1", json, strlen(json), T0);
}

/* Six infusions a day apart for patient "P-1": PHQ-9 totals from phq[], GAD-7 from gad[]. */
static void six_infusions(record *r, const int phq[6], const int gad[6])
{
    char visit[32], id[32];

    for (int i = 0; i < 6; i++) {
        snprintf(visit, sizeof visit, "V-%d", i + 1);
        REQUIRE(record_visit_begun(r, visit, "P-1", "chair-1", T0 + i * DAY) == 0);
        snprintf(id, sizeof id, "phq-%d", i + 1);
        if (phq[i] >= 0)
            CHECK_INT_EQ(add(r, phq9(id, visit, NULL, phq[i], 0, NULL)), RECORD_NEW);
        snprintf(id, sizeof id, "gad-%d", i + 1);
        if (gad[i] >= 0)
            CHECK_INT_EQ(add(r, gad7(id, visit, gad[i])), RECORD_NEW);
    }
}

static void test_course_in_order_with_response_and_remission(void)
{
    static const int phq[6] = { 18, 15, 12, 9, 8, 4 }, gad[6] = { 14, 12, 10, 8, 6, 5 };
    struct record_course c;
    record *r = record_open(":memory:");

    REQUIRE(r != NULL);
    six_infusions(r, phq, gad);
    REQUIRE(record_course(r, "P-1", T0 + 6 * DAY, 14, &c) == 0);
    CHECK_INT_EQ(c.n, 6);
    for (int i = 0; i < 6; i++) {
        CHECK_INT_EQ(c.inf[i].phq9, phq[i]);
        CHECK_INT_EQ(c.inf[i].gad7, gad[i]);
        CHECK_INT_EQ(c.inf[i].responses, 2);
        CHECK_INT_EQ(c.inf[i].begun_ms, T0 + i * DAY);
    }
    CHECK_STR_EQ(c.inf[0].visit, "V-1");
    CHECK_STR_EQ(c.inf[5].visit, "V-6");
    CHECK_INT_EQ(c.baseline_phq9, 18);
    CHECK_INT_EQ(c.latest_phq9, 4);
    CHECK_INT_EQ(c.phq9_change_pct, -77);
    CHECK_INT_EQ(c.baseline_gad7, 14);
    CHECK_INT_EQ(c.latest_gad7, 5);
    CHECK(c.response);
    CHECK(c.remission);
    CHECK(!c.dropped_out);
    CHECK_INT_EQ(c.without_questionnaire, 0);
    CHECK_INT_EQ(record_course(r, "P-2", T0, 14, &c), HV_ENOTFOUND);
    record_close(r);
}

/* Response is a 50 % drop exactly; 49 % is not; remission is below 5, not 5. */
static void test_response_and_remission_thresholds(void)
{
    static const int half[6] = { 20, -1, -1, -1, -1, 10 }, less[6] = { 21, -1, -1, -1, -1, 11 };
    static const int five[6] = { 10, -1, -1, -1, -1, 5 }, none[6] = { -1, -1, -1, -1, -1, -1 };
    struct record_course c;
    record *r;

    r = record_open(":memory:");
    six_infusions(r, half, none);
    REQUIRE(record_course(r, "P-1", T0, 0, &c) == 0);
    CHECK(c.response);
    CHECK(!c.remission);
    CHECK_INT_EQ(c.phq9_change_pct, -50);
    CHECK_INT_EQ(c.without_questionnaire, 4);
    CHECK_INT_EQ(c.inf[1].phq9, -1);
    CHECK_INT_EQ(c.inf[1].gad7, -1);
    record_close(r);

    r = record_open(":memory:");
    six_infusions(r, less, none);
    REQUIRE(record_course(r, "P-1", T0, 0, &c) == 0);
    CHECK(!c.response);
    record_close(r);

    r = record_open(":memory:");
    six_infusions(r, five, none);
    REQUIRE(record_course(r, "P-1", T0, 0, &c) == 0);
    CHECK(c.response);
    CHECK(!c.remission);
    record_close(r);
}

/* One PHQ-9 is a baseline, not a response nor a remission, however low. */
static void test_one_phq9_is_only_a_baseline(void)
{
    struct record_course c;
    record *r = record_open(":memory:");

    REQUIRE(record_visit_begun(r, "V-1", "P-1", "chair-1", T0) == 0);
    CHECK_INT_EQ(add(r, phq9("a", "V-1", NULL, 3, 0, NULL)), RECORD_NEW);
    REQUIRE(record_course(r, "P-1", T0, 0, &c) == 0);
    CHECK_INT_EQ(c.baseline_phq9, 3);
    CHECK_INT_EQ(c.latest_phq9, 3);
    CHECK(!c.response);
    CHECK(!c.remission);
    record_close(r);
}

static int collect(void *ctx, const char *id, const char *json)
{
    char *out = ctx;

    (void)id;
    strncat(out, json, 8191 - strlen(out));
    strncat(out, "\n", 8191 - strlen(out));
    return 0;
}

/* A redelivery changes nothing; the JSON is kept exactly as it arrived. */
static void test_redelivery_is_kept_once_byte_for_byte(void)
{
    /* Odd spacing and key order on purpose: what is kept is what came, not a re-encoding. */
    const char *json = "{ \"id\" : \"resp-1\", \"resourceType\":\"QuestionnaireResponse\","
                       "\"status\":\"completed\",  \"encounter\":{\"reference\":\"Encounter/V-1\"},"
                       "\"item\":[{\"linkId\":\"44261-6\",\"answer\":[{\"valueInteger\":9}]}] }";
    static char out[8192];
    struct record_course c;
    record *r = record_open(":memory:");

    REQUIRE(record_visit_begun(r, "V-1", "P-1", "chair-1", T0) == 0);
    CHECK_INT_EQ(add(r, json), RECORD_NEW);
    unit_capture_begin();
    CHECK_INT_EQ(add(r, json), RECORD_SEEN);
    CHECK_INT_EQ(add(r, json), RECORD_SEEN);
    char *log = unit_capture_end();
    CHECK(log && strstr(log, "resp-1") && strstr(log, "already stored"));
    free(log);
    CHECK_INT_EQ(record_count_responses(r), 1);
    REQUIRE(record_course(r, "P-1", T0, 0, &c) == 0);
    CHECK_INT_EQ(c.inf[0].responses, 1);
    CHECK_INT_EQ(c.inf[0].phq9, 9);
    out[0] = '\0';
    CHECK_INT_EQ(record_each_response(r, "P-1", collect, out), 0);
    CHECK(strncmp(out, json, strlen(json)) == 0 && out[strlen(json)] == '\n' &&
          out[strlen(json) + 1] == '\0');
    record_close(r);
}

/* Item 9: endorsed in a visit even when a later response of the visit says "Not at all". */
static void test_item9_endorsement_is_kept(void)
{
    const char *changed =
        "{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"b\",\"status\":\"completed\","
        "\"encounter\":{\"reference\":\"Encounter/V-2\"},\"item\":[{\"linkId\":\"44260-8\","
        "\"extension\":[{\"url\":\"https://haven.example/fhir/StructureDefinition/item-endorsed\","
        "\"valueBoolean\":true}],"
        "\"answer\":[{\"valueCoding\":{\"code\":\"LA6568-5\"}}]},"
        "{\"linkId\":\"44261-6\",\"answer\":[{\"valueInteger\":2}]}]}";
    struct record_course c;
    record *r = record_open(":memory:");

    REQUIRE(record_visit_begun(r, "V-1", "P-1", "chair-1", T0) == 0);
    REQUIRE(record_visit_begun(r, "V-2", "P-1", "chair-1", T0 + DAY) == 0);
    REQUIRE(record_visit_begun(r, "V-3", "P-1", "chair-1", T0 + 2 * DAY) == 0);
    CHECK_INT_EQ(add(r, phq9("a", "V-1", NULL, 12, 1, NULL)), RECORD_NEW);
    CHECK_INT_EQ(add(r, changed), RECORD_NEW);
    CHECK_INT_EQ(add(r, phq9("c", "V-3", NULL, 3, 0, NULL)), RECORD_NEW);
    REQUIRE(record_course(r, "P-1", T0, 0, &c) == 0);
    CHECK_INT_EQ(c.inf[0].item9, 1);
    CHECK(c.inf[0].item9_endorsed);
    CHECK_INT_EQ(c.inf[1].item9, 0);
    CHECK(c.inf[1].item9_endorsed);     /* answered "Not at all" last, endorsed before */
    CHECK_INT_EQ(c.inf[2].item9, 0);
    CHECK(!c.inf[2].item9_endorsed);
    CHECK_INT_EQ(c.item9_endorsements, 2);
    record_close(r);
}

/*
 * Who acknowledged each item-9 endorsement (issue 14 part 2): the first safety
 * call raised in the visit's room while it lasted, as the station saw it
 * acknowledged; a call in another room, before the visit or after it ended is
 * not this visit's; an acknowledgement seen twice (a retained call again) is no error.
 */
static void test_item9_endorsement_names_who_acknowledged(void)
{
    struct record_course c;
    record *r = record_open(":memory:");

    REQUIRE(r != NULL);
    REQUIRE(record_visit_begun(r, "V-1", "P-1", "chair-1", T0) == 0);
    REQUIRE(record_visit_ended(r, "V-1", T0 + 3600000) == 0);
    REQUIRE(record_visit_begun(r, "V-2", "P-1", "chair-1", T0 + DAY) == 0);
    REQUIRE(record_visit_begun(r, "V-3", "P-1", "chair-1", T0 + 2 * DAY) == 0);
    CHECK_INT_EQ(add(r, phq9("a", "V-1", NULL, 12, 2, NULL)), RECORD_NEW);
    CHECK_INT_EQ(add(r, phq9("b", "V-2", NULL, 14, 1, NULL)), RECORD_NEW);
    CHECK_INT_EQ(add(r, phq9("c", "V-3", NULL, 3, 0, NULL)), RECORD_NEW);
    /* V-1: a call in chair-2 and one before the visit are not its; sam came to its own. */
    CHECK_INT_EQ(record_safety_acknowledged(r, "k-x", "chair-2", T0 + 60000, "alex", T0 + 61000), 0);
    CHECK_INT_EQ(record_safety_acknowledged(r, "k-0", "chair-1", T0 - 1000, "alex", T0 - 500), 0);
    CHECK_INT_EQ(record_safety_acknowledged(r, "k-1", "chair-1", T0 + 120000, "sam", T0 + 150000), 0);
    CHECK_INT_EQ(record_safety_acknowledged(r, "k-1", "chair-1", T0 + 120000, "sam", T0 + 150000), 0);
    CHECK_INT_EQ(record_safety_acknowledged(r, "k-9", "chair-1", T0 + 7200000, "kim", T0 + 7300000), 0);
    CHECK(record_safety_acknowledged(r, "k-2", "chair-1", T0, "", T0) == HV_EINVAL);
    REQUIRE(record_course(r, "P-1", T0, 0, &c) == 0);
    CHECK(c.inf[0].item9_endorsed);
    CHECK_STR_EQ(c.inf[0].item9_ack_by, "sam");
    CHECK_INT_EQ(c.inf[0].item9_ack_ms, T0 + 150000);
    CHECK(c.inf[1].item9_endorsed);
    CHECK_STR_EQ(c.inf[1].item9_ack_by, "");                 /* none recorded */
    CHECK_STR_EQ(c.inf[2].item9_ack_by, "");                 /* not endorsed: not asked */
    record_close(r);
}

/*
 * The kiosk's own format (kiosk/forms/fhir.c, issue 14): the visit as the encounter
 * identifier, the patient as the subject identifier, and item 9 "Several days"
 * changed to "Not at all" carried as the rule-answer extension.  A rule-answer
 * whose answer was "Not at all" is no endorsement.
 */
#define KIOSK_RESPONSE_FMT \
    "{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"%s\",\"status\":\"completed\"," \
    "\"questionnaire\":\"https://haven.invalid/fhir/Questionnaire/phq-9|1\"," \
    "\"subject\":{\"identifier\":{\"system\":\"urn:haven:patient\",\"value\":\"P-7\"}}," \
    "\"encounter\":{\"identifier\":{\"system\":\"urn:haven:visit\",\"value\":\"%s\"}}," \
    "\"authored\":\"2026-12-07T14:00:00.000Z\",\"item\":[{\"linkId\":\"44260-8\"," \
    "\"extension\":[{\"url\":\"https://haven.invalid/fhir/StructureDefinition/rule-answer\"," \
    "\"extension\":[{\"url\":\"answer\",\"valueCoding\":{\"system\":\"http://loinc.org\"," \
    "\"code\":\"%s\",\"display\":\"x\"}},{\"url\":\"answered\"," \
    "\"valueDateTime\":\"2026-12-07T13:58:00.000Z\"},{\"url\":\"rule\",\"valueInteger\":1}," \
    "{\"url\":\"call\",\"valueIdentifier\":{\"system\":\"urn:haven:call\",\"value\":\"call-1\"}}," \
    "{\"url\":\"changed\",\"valueBoolean\":true}]}]," \
    "\"answer\":[{\"valueCoding\":{\"system\":\"http://loinc.org\",\"code\":\"LA6568-5\"}}]}," \
    "{\"linkId\":\"44261-6\",\"answer\":[{\"valueInteger\":0}]}]}"

static void test_kiosk_rule_answer_marks_item9(void)
{
    char json[2048];
    struct record_course c;
    record *r = record_open(":memory:");

    REQUIRE(r != NULL);
    snprintf(json, sizeof json, KIOSK_RESPONSE_FMT, "k-1", "V-7", "LA6569-3");  /* endorsed, changed */
    CHECK_INT_EQ(add(r, json), RECORD_NEW);
    snprintf(json, sizeof json, KIOSK_RESPONSE_FMT, "k-2", "V-8", "LA6568-5");  /* of 0: none */
    CHECK_INT_EQ(add(r, json), RECORD_NEW);
    REQUIRE(record_course(r, "P-7", T0, 0, &c) == 0);   /* the subject's patient key */
    CHECK_INT_EQ(c.n, 2);
    CHECK_STR_EQ(c.inf[0].visit, "V-7");                /* the encounter's visit */
    CHECK_INT_EQ(c.inf[0].item9, 0);
    CHECK_INT_EQ(c.inf[0].phq9, 0);
    CHECK(c.inf[0].item9_endorsed);
    CHECK(!c.inf[1].item9_endorsed);
    CHECK_INT_EQ(c.item9_endorsements, 1);
    record_close(r);
}

/* An abandoned (stopped) form's total is not the infusion's score. */
static void test_stopped_form_is_kept_but_not_scored(void)
{
    struct record_course c;
    record *r = record_open(":memory:");

    REQUIRE(record_visit_begun(r, "V-1", "P-1", "chair-1", T0) == 0);
    CHECK_INT_EQ(add(r, phq9("a", "V-1", NULL, 4, -1, "stopped")), RECORD_NEW);
    REQUIRE(record_course(r, "P-1", T0, 0, &c) == 0);
    CHECK_INT_EQ(c.inf[0].responses, 1);
    CHECK_INT_EQ(c.inf[0].phq9, -1);
    CHECK_INT_EQ(c.without_questionnaire, 0);
    record_close(r);
}

static void test_drop_out_after_the_configured_days(void)
{
    struct record_course c;
    record *r = record_open(":memory:");

    REQUIRE(record_visit_begun(r, "V-1", "P-1", "chair-1", T0) == 0);
    REQUIRE(record_course(r, "P-1", T0 + 14 * DAY, 14, &c) == 0);
    CHECK(!c.dropped_out);
    REQUIRE(record_course(r, "P-1", T0 + 14 * DAY + 1, 14, &c) == 0);
    CHECK(c.dropped_out);
    REQUIRE(record_course(r, "P-1", T0 + 100 * DAY, 0, &c) == 0);
    CHECK(!c.dropped_out);               /* 0: the clinic does not track drop-out */
    CHECK_INT_EQ(c.without_questionnaire, 1);
    record_close(r);
}

/* Visits the station did not begin: the response makes the visit, with its patient if named;
 * the older kiosk's subject-visit form is read too; a later begin fills a missing patient. */
static void test_visits_from_responses(void)
{
    const char *legacy =
        "{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"old\",\"status\":\"completed\","
        "\"subject\":{\"identifier\":{\"system\":\"urn:haven:visit\",\"value\":\"V-9\"}},"
        "\"item\":[{\"linkId\":\"44261-6\",\"answer\":[{\"valueInteger\":7}]}]}";
    struct record_course c;
    record *r = record_open(":memory:");

    CHECK_INT_EQ(add(r, phq9("a", "V-1", "P-7", 10, 0, NULL)), RECORD_NEW);
    REQUIRE(record_course(r, "P-7", T0, 0, &c) == 0);
    CHECK_INT_EQ(c.n, 1);
    CHECK_INT_EQ(c.inf[0].phq9, 10);
    CHECK_INT_EQ(add(r, legacy), RECORD_NEW);
    CHECK_INT_EQ(record_course(r, "P-8", T0, 0, &c), HV_ENOTFOUND);
    REQUIRE(record_visit_begun(r, "V-9", "P-8", "chair-2", T0 - DAY) == 0);
    REQUIRE(record_course(r, "P-8", T0, 0, &c) == 0);
    CHECK_INT_EQ(c.inf[0].phq9, 7);
    /* A patient once set is not changed by a later message naming another. */
    REQUIRE(record_visit_begun(r, "V-9", "P-9", "chair-2", T0) == 0);
    CHECK_INT_EQ(record_course(r, "P-9", T0, 0, &c), HV_ENOTFOUND);
    CHECK_INT_EQ(record_count_visits(r), 2);
    record_close(r);
}

static void test_bad_input_is_refused_and_logged(void)
{
    static char big[70000];
    const char *bad[] = {
        "not json",
        "[1,2]",
        "{\"resourceType\":\"Observation\",\"id\":\"x\",\"status\":\"completed\","
        "\"encounter\":{\"reference\":\"Encounter/V-1\"}}",
        "{\"resourceType\":\"QuestionnaireResponse\",\"status\":\"completed\","
        "\"encounter\":{\"reference\":\"Encounter/V-1\"}}",
        "{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"x\",\"status\":\"completed\"}",
        "{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"x\",\"status\":\"completed\","
        "\"encounter\":{\"reference\":\"Encounter/V 1; drop\"}}",
        "{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"x\",\"status\":\"completed\","
        "\"encounter\":{\"reference\":\"Encounter/V-1\"},\"subject\":{\"reference\":\"Patient/Jane Doe\"}}",
        "{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"x\",\"status\":\"completed\","
        "\"encounter\":{\"reference\":\"Encounter/V-1\"},\"authored\":\"yesterday\"}",
        "{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"x\","
        "\"encounter\":{\"reference\":\"Encounter/V-1\"}}",
        "{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"x\",\"status\":\"completed\","
        "\"encounter\":{\"reference\":\"Encounter/V-1\"},\"item\":{}}",
    };
    record *r = record_open(":memory:");
    char *log;
    size_t n;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc;
        unit_capture_begin();
        rc = add(r, bad[i]);
        log = unit_capture_end();
        CHECK(rc == HV_EINVAL || rc == HV_EPARSE);
        CHECK(log && strstr(log, "response from chair-1 refused"));
        if (rc >= 0 || !log || !strstr(log, "refused"))
            fprintf(stderr, "  case %zu: rc %d, log %s\n", i, rc, log ? log : "(none)");
        free(log);
    }
    /* 201 items */
    n = (size_t)snprintf(big, sizeof big, "{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"x\","
                         "\"status\":\"completed\",\"encounter\":{\"reference\":\"Encounter/V-1\"},"
                         "\"item\":[");
    for (int i = 0; i < 201; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "%s{\"linkId\":\"i%d\"}", i ? "," : "", i);
    snprintf(big + n, sizeof big - n, "]}");
    CHECK_INT_EQ(add(r, big), HV_EINVAL);
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK_INT_EQ(add(r, big), HV_ETOOBIG);
    CHECK_INT_EQ(record_count_responses(r), 0);
    CHECK_INT_EQ(record_count_visits(r), 0);
    CHECK_INT_EQ(record_visit_begun(r, "V 1", "P-1", "chair-1", T0), HV_EINVAL);
    CHECK_INT_EQ(record_visit_begun(r, "V-1", "Jane Doe", "chair-1", T0), HV_EINVAL);
    record_close(r);
}

static void test_file_is_0600_and_survives_a_restart(void)
{
    char path[512];
    struct record_course c;
    struct stat st;
    mode_t old = umask(0);
    record *r;

    snprintf(path, sizeof path, "%s/record.db", unit_dir());
    unlink(path);
    r = record_open(path);
    REQUIRE(r != NULL);
    REQUIRE(record_visit_begun(r, "V-1", "P-1", "chair-1", T0) == 0);
    CHECK_INT_EQ(add(r, phq9("a", "V-1", NULL, 11, 2, NULL)), RECORD_NEW);
    record_close(r);
    umask(old);
    REQUIRE(stat(path, &st) == 0);
    CHECK_INT_EQ(st.st_mode & 0777, 0600);
    r = record_open(path);
    REQUIRE(r != NULL);
    CHECK_INT_EQ(add(r, phq9("a", "V-1", NULL, 11, 2, NULL)), RECORD_SEEN);
    REQUIRE(record_course(r, "P-1", T0, 0, &c) == 0);
    CHECK_INT_EQ(c.inf[0].phq9, 11);
    CHECK_INT_EQ(c.inf[0].item9, 2);
    record_close(r);
}

/* Issue 14 part 2: check-ins once each, as they arrived; refused messages kept aside once. */
static void test_checkins_and_refused_kept_once(void)
{
    static const char ci[] = "{\"id\":\"checkin-1\",\"feeling\":4,\"symptoms\":[],"
                             "\"visit\":\"V-1\",\"ts\":\"2026-11-21T14:00:00.000Z\"}";
    record *r = record_open(":memory:");

    REQUIRE(r != NULL);
    CHECK_INT_EQ(record_add_checkin(r, "chair-1", ci, strlen(ci), 1000), RECORD_NEW);
    CHECK_INT_EQ(record_add_checkin(r, "chair-1", ci, strlen(ci), 2000), RECORD_SEEN);
    CHECK_INT_EQ(record_count_checkins(r), 1);
    CHECK_INT_EQ(record_add_checkin(r, "chair-1", "[1]", 3, 1000), HV_EPARSE);
    CHECK_INT_EQ(record_add_checkin(r, "chair-1", "{\"feeling\":1}", 13, 1000), HV_EINVAL);
    CHECK_INT_EQ(record_add_checkin(r, "bad room", ci, strlen(ci), 1000), HV_EINVAL);
    CHECK_INT_EQ(record_add_refused(r, "chair-1", "response", "resp-x", "no visit", "{}", 2, 1),
                 RECORD_NEW);
    CHECK_INT_EQ(record_add_refused(r, "chair-1", "response", "resp-x", "no visit", "{}", 2, 2),
                 RECORD_SEEN);
    CHECK_INT_EQ(record_count_refused(r), 1);
    CHECK_INT_EQ(record_count_responses(r), 0);
    record_close(r);
}

int main(void)
{
    RUN(test_course_in_order_with_response_and_remission);
    RUN(test_checkins_and_refused_kept_once);
    RUN(test_response_and_remission_thresholds);
    RUN(test_one_phq9_is_only_a_baseline);
    RUN(test_redelivery_is_kept_once_byte_for_byte);
    RUN(test_item9_endorsement_is_kept);
    RUN(test_item9_endorsement_names_who_acknowledged);
    RUN(test_kiosk_rule_answer_marks_item9);
    RUN(test_stopped_form_is_kept_but_not_scored);
    RUN(test_drop_out_after_the_configured_days);
    RUN(test_visits_from_responses);
    RUN(test_bad_input_is_refused_and_logged);
    RUN(test_file_is_0600_and_survives_a_restart);
    unit_cleanup();
    return CHECK_SUMMARY();
}
