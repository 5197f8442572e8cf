/*
 * test_kiosk_forms.c - questionnaires on the real kiosk, with the real room
 * controller and a real broker: PHQ-9 answered by touches comes out scored
 * as a FHIR QuestionnaireResponse; an item-9 answer pages a nurse urgently
 * (reason safety) before the form is finished; a kiosk killed mid-form comes
 * back at the same question with the same answers; a checklist rule pages
 * at the priority it names; medicines taken now, a multiple choice, page the nurse
 * for each one chosen; and the Spanish screens are photographed
 * ("forms-es-*.png" in $HAVEN_SHOTS_DIR) for a person to look at.
 *
 * Every response received is checked against Haven's generated Questionnaire
 * of its form (issue 14, defect 7: every linkId exists in it, every coding has
 * a system and is one of the item's answers, the visit is the encounter),
 * saved, and at the end all of them are validated against the FHIR R4 JSON
 * schema (tests/fhir/validate.py).
 */
#include "check.h"
#include "fhirq.h"
#include "json_util.h"
#include "kiosk_fixture.h"
#include "kit.h"
#include "questionnaire.h"
#ifdef HAVEN_TEST_RECORD
#include "record.h"
#endif

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef HAVEN_SOURCE_DIR
#error "HAVEN_SOURCE_DIR must name the source tree"
#endif

#define W 1280
#define H 800
#define ROOM "chair-1"

static int dpi = 96;

/* The test clinic with the shipped forms: PHQ-9 at intake, the discharge checklist. */
static char *config(const char *intake)
{
    char extra[1024];

    snprintf(extra, sizeof extra,
             "kiosk = { dpi = %d; questionnaires = {\n"
             "  dir = \"%s/config/questionnaires\";\n"
             "  intake = [ %s ];\n"
             "  discharge = [ \"discharge-checklist\" ];\n"
             "  crisis_line = { en = \"Call or text 988, any time.\";"
             " es = \"Llame o envíe un mensaje al 988, a cualquier hora.\"; };\n"
             "}; };\n", dpi, HAVEN_SOURCE_DIR, intake);
    return rf_default_config("%PREFIX%", extra);
}

static int start_at(struct room_fixture *f, struct kiosk_fixture *k, const char *intake, int w,
                    int h)
{
    char *cfg = config(intake);
    int rc = cfg ? rf_start(f, cfg, false) : -1;

    free(cfg);
    rc = rc == 0 ? kf_start(k, f, ROOM, w, h) : -1;
    k->dpi = dpi;
    return rc;
}

static int start(struct room_fixture *f, struct kiosk_fixture *k, const char *intake)
{
    return start_at(f, k, intake, W, H);
}

/* With a broker of the test's own (it is killed and restarted). */
static int start_private(struct room_fixture *f, struct kiosk_fixture *k, const char *intake)
{
    char *cfg = config(intake);
    int rc = cfg ? rf_start(f, cfg, true) : -1;

    free(cfg);
    return rc == 0 ? kf_start(k, f, ROOM, W, H) : -1;
}

static bool overlap(SDL_Rect a, SDL_Rect b)
{
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/*
 * The current screen's touch targets (the kiosk's "targets" listing): each on
 * the screen, at least 16 mm each way, clear of the help button and of each
 * other.  Returns how many there were.
 */
static int check_targets(struct kiosk_fixture *k, const char *what)
{
    char *log, needle[64];
    SDL_Rect r[16], help = kf_help_rect(k);
    int n = 0, mm16 = (int)(16 * k->dpi / 25.4) - 1;
    size_t before;

    log = hv_read_file(k->log_path);
    before = log ? strlen(log) : 0;
    free(log);
    CHECK(kf_send(k, "targets") == 0);
    snprintf(needle, sizeof needle, "targets on form:");
    for (int i = 0; i < 30; i++) {
        log = hv_read_file(k->log_path);
        if (log && strlen(log) > before && strstr(log + before, needle))
            break;
        free(log);
        log = NULL;
        hv_sleep_ms(100);
    }
    CHECK(log != NULL);
    if (!log)
        return -1;
    for (const char *p = strstr(log + before, " target "); p && n < 16; p = strstr(p + 1, " target ")) {
        char name[32];
        if (sscanf(p, " target %31s %d %d %d %d", name, &r[n].x, &r[n].y, &r[n].w, &r[n].h) != 5)
            continue;
        if (r[n].x < 0 || r[n].y < 0 || r[n].x + r[n].w > k->w || r[n].y + r[n].h > k->h ||
            r[n].w < mm16 || r[n].h < mm16 || overlap(r[n], help)) {
            fprintf(stderr, "  %s: target %s %d %d %d %d is off screen, small or on the help button\n",
                    what, name, r[n].x, r[n].y, r[n].w, r[n].h);
            CHECK(false);
        }
        for (int j = 0; j < n; j++)
            CHECK(!overlap(r[n], r[j]));
        n++;
    }
    free(log);
    return n;
}

static void station_cmd(const struct room_fixture *f, const char *json)
{
    hv_client *station = rf_client(f, "station");
    CHECK(station && hv_client_pub(station, rf_topic(f, "room/" ROOM "/kiosk/cmd"), json, 1,
                                   false) == 0);
    hv_client_free(station);
}

/* A tap on the current screen's target name. */
static void tap(struct kiosk_fixture *k, const char *name)
{
    CHECK(kf_tapname(k, name) == 0);
}

/* The kiosk's log from byte from on (malloc'd; "" when there is nothing new). */
static char *log_since(const struct kiosk_fixture *k, size_t from)
{
    char *log = hv_read_file(k->log_path);
    size_t n = log ? strlen(log) : 0;
    char *tail = strdup(log && n > from ? log + from : "");

    free(log);
    return tail;
}

static size_t log_size(const struct kiosk_fixture *k)
{
    char *log = hv_read_file(k->log_path);
    size_t n = log ? strlen(log) : 0;

    free(log);
    return n;
}

/*
 * Asks the kiosk for its targets and waits for its answer: "targets on
 * SCREEN: N".  True if it names screen (and, with n >= 0, exactly n targets).
 */
static bool showing(struct kiosk_fixture *k, const char *screen, int n)
{
    char want[64], *tail = NULL;
    size_t from = log_size(k);
    bool ok = false;

    snprintf(want, sizeof want, n >= 0 ? "targets on %s: %d\n" : "targets on %s:", screen, n);
    CHECK(kf_send(k, "targets") == 0);
    for (int i = 0; i < 30 && !(tail && strstr(tail, "targets on ")); i++) {
        free(tail);
        hv_sleep_ms(50);
        tail = log_since(k, from);
    }
    ok = tail && strstr(tail, want) != NULL;
    free(tail);
    return ok;
}

/* Waits until the kiosk shows screen (its "targets" listing says so). */
static bool on_screen(struct kiosk_fixture *k, const char *screen)
{
    for (int i = 0; i < 50; i++) {
        if (showing(k, screen, -1))
            return true;
        hv_sleep_ms(100);
    }
    fprintf(stderr, "the kiosk never showed the %s screen\n", screen);
    return false;
}

/* An item of a QuestionnaireResponse by linkId, or NULL. */
static const cJSON *qr_item(const cJSON *qr, const char *link)
{
    const cJSON *it;

    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(qr, "item")) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "linkId");
        if (cJSON_IsString(id) && strcmp(id->valuestring, link) == 0)
            return it;
    }
    return NULL;
}

static const cJSON *qr_answer(const cJSON *qr, const char *link)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(qr_item(qr, link), "answer"), 0);
}

static const char *qr_code(const cJSON *qr, const char *link)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(qr_answer(qr, link), "valueCoding"), "code");
    return cJSON_IsString(c) ? c->valuestring : "(none)";
}


/* ---- FHIR: every response checked and kept for the schema (issue 14, defect 7) ---------- */

static char fhir_dir[600];        /* where each response received is saved */
static int fhir_saved;
static const char *forms_dir = HAVEN_SOURCE_DIR "/config/questionnaires";

/* item linkId of Questionnaire q, or NULL. */
static const cJSON *q_item(const cJSON *q, const char *link)
{
    const cJSON *it;

    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(q, "item")) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "linkId");
        if (cJSON_IsString(id) && strcmp(id->valuestring, link) == 0)
            return it;
    }
    return NULL;
}

static const char *jstr(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Every valueCoding anywhere under node has a system (and a code); returns how many. */
static int codings_have_systems(const cJSON *node)
{
    const cJSON *c;
    int n = 0;

    cJSON_ArrayForEach(c, node) {
        if (c->string && strcmp(c->string, "valueCoding") == 0) {
            CHECK(jstr(c, "system") && jstr(c, "system")[0] && jstr(c, "code"));
            n++;
        }
        if (cJSON_IsObject(c) || cJSON_IsArray(c))
            n += codings_have_systems(c);
    }
    return n;
}

/* The answer coding is one of the Questionnaire item's answerOptions (system and code). */
static bool among_options(const cJSON *qitem, const cJSON *coding)
{
    const cJSON *o;

    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(qitem, "answerOption")) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "valueCoding");
        if (jstr(c, "system") && jstr(coding, "system") && jstr(c, "code") && jstr(coding, "code") &&
            !strcmp(jstr(c, "system"), jstr(coding, "system")) &&
            !strcmp(jstr(c, "code"), jstr(coding, "code")))
            return true;
    }
    return false;
}

/* {"identifier": {"system": system, "value": value}} at key of qr (value NULL: any). */
static bool ident_is(const cJSON *qr, const char *key, const char *system, const char *value)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(qr, key),
                                                       "identifier");
    return jstr(id, "system") && !strcmp(jstr(id, "system"), system) && jstr(id, "value") &&
           (!value || !strcmp(jstr(id, "value"), value));
}

/* The part url of item link's rule-answer extension (the first), or NULL. */
static const cJSON *rule_answer_part(const cJSON *qr, const char *link, const char *url)
{
    const cJSON *ext, *part, *it = NULL, *i;

    cJSON_ArrayForEach(i, cJSON_GetObjectItemCaseSensitive(qr, "item"))
        if (jstr(i, "linkId") && !strcmp(jstr(i, "linkId"), link))
            it = i;
    cJSON_ArrayForEach(ext, cJSON_GetObjectItemCaseSensitive(it, "extension")) {
        if (!jstr(ext, "url") || strcmp(jstr(ext, "url"), FHIRQ_EXT_RULE_ANSWER) != 0)
            continue;
        cJSON_ArrayForEach(part, cJSON_GetObjectItemCaseSensitive(ext, "extension"))
            if (jstr(part, "url") && !strcmp(jstr(part, "url"), url))
                return part;
    }
    return NULL;
}

/*
 * qr against the Questionnaire haven-questionnaire makes of its form: the
 * canonical URL and version name the form file (in forms_dir), every linkId
 * is one of its items, every answer coding one of that item's options, every
 * coding has a system; the visit is the encounter and the subject, if any, a
 * patient key.
 */
static void check_against_questionnaire(const cJSON *qr, const char *visit)
{
    const char *canon = jstr(qr, "questionnaire"), *bar, *slash;
    char id[96], path[900];
    struct qn_form form;
    struct cfg_error err;
    const cJSON *it;

    REQUIRE(canon != NULL);
    bar = strchr(canon, '|');
    slash = strrchr(canon, '/');
    CHECK(strncmp(canon, QN_URL_BASE "Questionnaire/", strlen(QN_URL_BASE "Questionnaire/")) == 0);
    REQUIRE(bar && slash && slash < bar && (size_t)(bar - slash) < sizeof id);
    snprintf(id, sizeof id, "%.*s", (int)(bar - slash - 1), slash + 1);
    snprintf(path, sizeof path, "%s/%s.cfg", forms_dir, id);
    REQUIRE(qn_form_load(path, &form, &err) == 0);
    CHECK_STR_EQ(bar + 1, form.version);
    cJSON *q = fhirq_questionnaire(&form);
    REQUIRE(q != NULL);
    CHECK(ident_is(qr, "encounter", "urn:haven:visit", visit));
    CHECK(!cJSON_GetObjectItemCaseSensitive(qr, "subject") ||
          ident_is(qr, "subject", "urn:haven:patient", NULL));
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(qr, "item")) {
        const char *link = jstr(it, "linkId");
        const cJSON *qi = link ? q_item(q, link) : NULL;
        const cJSON *coding = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(it, "answer"), 0), "valueCoding");
        if (!qi)
            fprintf(stderr, "  linkId %s of the response is in no item of Questionnaire %s\n",
                    link ? link : "(none)", id);
        CHECK(qi != NULL);
        if (qi && coding)
            CHECK(among_options(qi, coding));
    }
    codings_have_systems(qr);
    cJSON_Delete(q);
    qn_form_free(&form);
}

/*
 * The next response on kiosk/response (from c, within ms), checked against its
 * Questionnaire for visit and saved for the schema at the end.  NULL if none.
 */
static char *expect_response(const struct room_fixture *f, hv_client *c, const char *visit, int ms)
{
    char *resp = hv_client_expect(c, rf_topic(f, "room/" ROOM "/kiosk/response"), ms);
    char path[700];
    cJSON *qr;

    if (!resp)
        return NULL;
    qr = cJSON_Parse(resp);
    CHECK(qr != NULL);
    if (qr)
        check_against_questionnaire(qr, visit);
    cJSON_Delete(qr);
    snprintf(path, sizeof path, "%s/response-%02d.json", fhir_dir, ++fhir_saved);
    CHECK(hv_write_file(path, resp) == 0);
    return resp;
}

/* Every response saved validates against the FHIR R4 JSON schema (python3-jsonschema). */
static void test_responses_validate_against_r4_schema(void)
{
    char min[16], out[700];
    char *argv[] = { HAVEN_PYTHON3, HAVEN_SOURCE_DIR "/tests/fhir/validate.py", "--min", min,
                     fhir_dir, NULL };

    snprintf(min, sizeof min, "%d", fhir_saved);
    snprintf(out, sizeof out, "%s/validate.txt", fhir_dir);
    CHECK(fhir_saved >= 10);
    hv_proc *p = hv_proc_spawn(argv, out);
    int status = p ? hv_proc_wait(p, 120000) : -1;
    hv_proc_free(p);
    char *said = hv_read_file(out);
    fprintf(stderr, "%s", said ? said : "(no output)\n");
    free(said);
    CHECK_INT_EQ(status, 0);

    /* The same check fails on a malformed copy of a response (a status that is no code). */
    char first[700], bad_dir[700], bad[800];
    snprintf(first, sizeof first, "%s/response-01.json", fhir_dir);
    snprintf(bad_dir, sizeof bad_dir, "%s/malformed", fhir_dir);
    snprintf(bad, sizeof bad, "%s/response-bad.json", bad_dir);
    char *text = hv_read_file(first);
    cJSON *qr = text ? cJSON_Parse(text) : NULL;
    REQUIRE(qr != NULL && mkdir(bad_dir, 0700) == 0);
    cJSON_ReplaceItemInObjectCaseSensitive(qr, "status", cJSON_CreateString("done"));
    char *broken = cJSON_PrintUnformatted(qr);
    CHECK(broken && hv_write_file(bad, broken) == 0);
    char *bad_argv[] = { HAVEN_PYTHON3, HAVEN_SOURCE_DIR "/tests/fhir/validate.py", bad, NULL };
    p = hv_proc_spawn(bad_argv, out);
    status = p ? hv_proc_wait(p, 120000) : -1;
    hv_proc_free(p);
    CHECK_INT_EQ(status, 1);
    free(broken);
    cJSON_Delete(qr);
    free(text);
}

static const char *const phq[9] = {
    "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8",
};

/*
 * PHQ-9 by touch: "Several days" to items 1-8, then item 9 "Several days":
 * the safety call and the urgent page come at once, while the form is still
 * open; then the difficulty question, the review, Send: the scored response.
 */
static void test_phq9_by_touch(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    REQUIRE(start(&f, &k, "\"phq-9\"") == 0);
    hv_client *pager = rf_client(&f, "pager");
    REQUIRE(pager && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);

    station_cmd(&f, "{\"cmd\":\"begin_visit\",\"visit\":\"V-PHQ\",\"lang\":\"en\"}");
    REQUIRE(on_screen(&k, "form"));
    SDL_FreeSurface(kf_shot(&k, "forms-en-intro"));
    tap(&k, "start");
    SDL_FreeSurface(kf_shot(&k, "forms-en-question-1"));
    for (int i = 0; i < 8; i++)
        tap(&k, "option-2");
    CHECK(hv_client_expect_none(f.obs, rf_topic(&f, "room/" ROOM "/kiosk/call"), 300));

    tap(&k, "option-2");  /* item 9: "Several days" */
    char *call = hv_client_expect(f.obs, rf_topic(&f, "room/" ROOM "/kiosk/call"), 5000);
    REQUIRE(call != NULL);
    CHECK_STR_EQ(json_str(call, "reason"), "safety");
    CHECK(json_str(call, "detail") && strstr(json_str(call, "detail"), "PHQ-9 item 9"));
    char call_id[64];
    snprintf(call_id, sizeof call_id, "%s", json_str(call, "id") ? json_str(call, "id") : "");
    free(call);
    char *page = hv_client_expect(pager, rf_topic(&f, "page/nurses"), 5000);
    REQUIRE(page != NULL);
    CHECK_STR_EQ(json_str(page, "priority"), "urgent");
    CHECK_STR_EQ(json_str(page, "reason"), "safety");
    CHECK_STR_EQ(json_str(page, "room"), ROOM);
    free(page);
    /* The form is not over: nothing has been sent on kiosk/response yet. */
    CHECK(hv_client_count(f.obs, rf_topic(&f, "room/" ROOM "/kiosk/response")) == 0);
    CHECK(showing(&k, "form", 1));  /* the message: Continue alone */
    SDL_FreeSurface(kf_shot(&k, "forms-en-safety-message"));

    tap(&k, "continue");
    tap(&k, "option-1");  /* the difficulty question: "Not difficult at all" */
    SDL_FreeSurface(kf_shot(&k, "forms-en-review"));
    tap(&k, "send");
    char *resp = expect_response(&f, f.obs, "V-PHQ", 5000);
    REQUIRE(resp != NULL);
    CHECK(strlen(resp) < 65536);
    cJSON *qr = cJSON_Parse(resp);
    REQUIRE(qr != NULL);
    CHECK_STR_EQ(json_str(resp, "resourceType"), "QuestionnaireResponse");
    CHECK_STR_EQ(json_str(resp, "status"), "completed");
    CHECK_STR_EQ(json_str(resp, "questionnaire"), "https://haven.invalid/fhir/Questionnaire/phq-9|1");
    CHECK(json_str(resp, "id") != NULL);
    CHECK(json_str(resp, "authored") != NULL);
    CHECK(ident_is(qr, "encounter", "urn:haven:visit", "V-PHQ"));  /* the visit: the encounter */
    CHECK(cJSON_GetObjectItemCaseSensitive(qr, "subject") == NULL);  /* no patient key known */
    for (int i = 0; i < 9; i++)
        CHECK_STR_EQ(qr_code(qr, phq[i]), "LA6569-3");
    CHECK_STR_EQ(qr_code(qr, "69722-7"), "LA6572-7");
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(qr_answer(qr, "44261-6"), "valueInteger");
    REQUIRE(cJSON_IsNumber(total));
    CHECK_INT_EQ(total->valueint, 9);
    const cJSON *band = cJSON_GetObjectItemCaseSensitive(qr_answer(qr, "44261-6-band"), "valueString");
    CHECK(cJSON_IsString(band) && strcmp(band->valuestring, "Mild") == 0);
    /* Item 9 set the safety rule off: the answer, and the call it raised, ride on the item. */
    const cJSON *said = rule_answer_part(qr, "44260-8", "answer");
    CHECK_STR_EQ(jstr(cJSON_GetObjectItemCaseSensitive(said, "valueCoding"), "code"), "LA6569-3");
    const cJSON *raised = cJSON_GetObjectItemCaseSensitive(rule_answer_part(qr, "44260-8", "call"),
                                                           "valueIdentifier");
    CHECK_STR_EQ(jstr(raised, "value"), call_id);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(rule_answer_part(qr, "44260-8", "changed"),
                                                         "valueBoolean")));
    cJSON_Delete(qr);
    free(resp);
    SDL_FreeSurface(kf_shot(&k, "forms-en-done"));
    CHECK(showing(&k, "form", 0));  /* "thank you": nothing to touch */

    kf_finish(&k);
    hv_client_free(pager);
    rf_finish(&f);
}

/*
 * The help button pressed first (an assist call open), then item 9: the
 * safety answer must not be a mere re-alert of the assist call; it joins it
 * and the controller raises it to urgent and pages again.
 */
static void test_safety_upgrades_open_call(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    REQUIRE(start(&f, &k, "\"phq-9\"") == 0);
    hv_client *pager = rf_client(&f, "pager");
    REQUIRE(pager && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);

    station_cmd(&f, "{\"cmd\":\"begin_visit\",\"visit\":\"V-UP\",\"lang\":\"en\"}");
    REQUIRE(on_screen(&k, "form"));
    CHECK(kf_tap_help(&k) == 0);
    char *page = hv_client_expect(pager, rf_topic(&f, "page/nurses"), 5000);
    REQUIRE(page != NULL);
    CHECK_STR_EQ(json_str(page, "priority"), "assist");
    char help_id[64];
    snprintf(help_id, sizeof help_id, "%s", json_str(page, "id") ? json_str(page, "id") : "");
    free(page);
    tap(&k, "start");
    for (int i = 0; i < 8; i++)
        tap(&k, "option-1");
    tap(&k, "option-3");  /* item 9: more than half the days */
    page = hv_client_expect(pager, rf_topic(&f, "page/nurses"), 5000);
    REQUIRE(page != NULL);
    CHECK_STR_EQ(json_str(page, "priority"), "urgent");
    CHECK_STR_EQ(json_str(page, "reason"), "safety");
    CHECK_STR_EQ(json_str(page, "id"), help_id);  /* the room's one call, raised */
    free(page);
    kf_finish(&k);
    hv_client_free(pager);
    rf_finish(&f);
}

/* Killed after three answers, the kiosk comes back at question 4 with them. */
static void test_kill_resumes(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    REQUIRE(start(&f, &k, "\"phq-9\"") == 0);

    station_cmd(&f, "{\"cmd\":\"begin_visit\",\"visit\":\"V-KILL\",\"lang\":\"en\"}");
    REQUIRE(on_screen(&k, "form"));
    tap(&k, "start");
    tap(&k, "option-1");
    tap(&k, "option-3");
    tap(&k, "option-4");
    REQUIRE(kf_send(&k, "targets") == 0);
    REQUIRE(kf_wait_log(&k, "tapname option-4 on form", 3000));
    SDL_FreeSurface(kf_shot(&k, "forms-before-kill"));
    kf_kill(&k);

    REQUIRE(kf_restart(&k, true) == 0);
    CHECK(kf_wait_log(&k, "resumed from 4 journaled tap(s): form 1 of 1 (phq-9), question 44254-1",
                      5000));
    REQUIRE(on_screen(&k, "form"));
    SDL_FreeSurface(kf_shot(&k, "forms-after-kill"));
    CHECK(showing(&k, "form", 5));  /* question 4 unanswered: four answers and Back */
    /* Back once: question 3 still has its answer, "Nearly every day" (Next is there). */
    tap(&k, "back");
    CHECK(showing(&k, "form", 6));
    tap(&k, "next");
    for (int i = 0; i < 6; i++)   /* items 4-9: "Not at all" */
        tap(&k, "option-1");
    tap(&k, "option-2");          /* difficulty (problems were checked) */
    tap(&k, "send");
    char *resp = expect_response(&f, f.obs, "V-KILL", 5000);
    REQUIRE(resp != NULL);
    cJSON *qr = cJSON_Parse(resp);
    REQUIRE(qr != NULL);
    CHECK_STR_EQ(qr_code(qr, phq[0]), "LA6568-5");
    CHECK_STR_EQ(qr_code(qr, phq[1]), "LA6570-1");
    CHECK_STR_EQ(qr_code(qr, phq[2]), "LA6571-9");
    CHECK_STR_EQ(qr_code(qr, phq[3]), "LA6568-5");
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(qr_answer(qr, "44261-6"), "valueInteger");
    CHECK(cJSON_IsNumber(total) && total->valueint == 5);
    cJSON_Delete(qr);
    free(resp);
    /* Exactly one response: the kill did not send it twice. */
    CHECK(hv_client_expect_none(f.obs, rf_topic(&f, "room/" ROOM "/kiosk/response"), 1000));

    kf_finish(&k);
    rf_finish(&f);
}

/*
 * Sent with the broker down, the kiosk killed before it came back: the
 * response waits in the outbox and arrives, once, when both are back.
 */
static void test_response_survives_broker_down_and_kill(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    REQUIRE(start_private(&f, &k, "\"phq-9\"") == 0);

    station_cmd(&f, "{\"cmd\":\"begin_visit\",\"visit\":\"V-DOWN\",\"lang\":\"en\"}");
    REQUIRE(on_screen(&k, "form"));
    tap(&k, "start");
    for (int i = 0; i < 9; i++)
        tap(&k, "option-1");       /* no problems: no difficulty question */
    REQUIRE(showing(&k, "form", 2));  /* the review: Back, Send */
    REQUIRE(hv_broker_kill(f.broker) == 0);
    CHECK(kf_wait_log(&k, "cannot reach the broker", 5000));
    tap(&k, "send");
    CHECK(kf_wait_log(&k, "questionnaire phq-9 completed", 3000));
    kf_kill(&k);  /* only the outbox has it now */

    REQUIRE(hv_broker_restart(f.broker) == 0);
    hv_client *watch = rf_client(&f, "watch");
    REQUIRE(watch && hv_client_sub(watch, rf_topic(&f, "room/" ROOM "/kiosk/response"), 1) == 0);
    REQUIRE(kf_restart(&k, true) == 0);
    char *resp = expect_response(&f, watch, "V-DOWN", 10000);
    REQUIRE(resp != NULL);
    CHECK_STR_EQ(json_str(resp, "status"), "completed");
    cJSON *qr = cJSON_Parse(resp);
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(qr_answer(qr, "44261-6"), "valueInteger");
    CHECK(cJSON_IsNumber(total) && total->valueint == 0);
    cJSON_Delete(qr);
    free(resp);
    CHECK(hv_client_expect_none(watch, rf_topic(&f, "room/" ROOM "/kiosk/response"), 2000));
    /* The screen is where it was: every form sent. */
    CHECK(showing(&k, "form", 0));
    hv_client_free(watch);
    kf_finish(&k);
    rf_finish(&f);
}

/* A form left part-way when the visit ends is sent as "stopped", without a score. */
static void test_abandoned_is_stopped(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    REQUIRE(start(&f, &k, "\"phq-9\"") == 0);

    station_cmd(&f, "{\"cmd\":\"begin_visit\",\"visit\":\"V-STOP\",\"lang\":\"en\"}");
    REQUIRE(on_screen(&k, "form"));
    tap(&k, "start");
    tap(&k, "option-3");
    REQUIRE(kf_send(&k, "targets") == 0);
    REQUIRE(kf_wait_log(&k, "tapname option-3 on form", 3000));
    station_cmd(&f, "{\"cmd\":\"end_visit\"}");
    char *resp = expect_response(&f, f.obs, "V-STOP", 5000);
    REQUIRE(resp != NULL);
    CHECK_STR_EQ(json_str(resp, "status"), "stopped");
    CHECK(strstr(resp, "44261-6") == NULL);
    cJSON *qr = cJSON_Parse(resp);
    CHECK_STR_EQ(qr_code(qr, phq[0]), "LA6570-1");
    cJSON_Delete(qr);
    free(resp);
    kf_finish(&k);
    rf_finish(&f);
}

/* The discharge checklist: "escort not here" pages at the rule's own priority, routine. */
static void test_rule_priority(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    REQUIRE(start(&f, &k, "") == 0);
    hv_client *pager = rf_client(&f, "pager");
    REQUIRE(pager && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);

    station_cmd(&f, "{\"cmd\":\"begin_visit\",\"visit\":\"V-DIS\",\"lang\":\"en\"}");
    station_cmd(&f, "{\"cmd\":\"phase\",\"phase\":\"discharge\"}");
    REQUIRE(on_screen(&k, "form"));
    tap(&k, "start");
    tap(&k, "option-1");  /* nausea: no */
    tap(&k, "option-1");  /* dizzy: no */
    tap(&k, "option-2");  /* escort here: no (no "steady on your feet" self-test before it) */
    char *call = hv_client_expect(f.obs, rf_topic(&f, "room/" ROOM "/kiosk/call"), 5000);
    REQUIRE(call != NULL);
    CHECK_STR_EQ(json_str(call, "reason"), "help");
    CHECK_STR_EQ(json_str(call, "priority"), "routine");
    free(call);
    char *page = hv_client_expect(pager, rf_topic(&f, "page/nurses"), 5000);
    REQUIRE(page != NULL);
    CHECK_STR_EQ(json_str(page, "priority"), "routine");
    free(page);
    kf_finish(&k);
    hv_client_free(pager);
    rf_finish(&f);
}

/*
 * Issue 14, defect 2: item 9 "Several days" pages urgently; the patient goes
 * back and answers "Not at all".  The response still says item 9 was endorsed
 * (the rule-answer extension: the answer, when, the call it raised, changed),
 * its total is 0, and the station's record marks the infusion item9_endorsed.
 */
static void test_item9_retracted_is_kept(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    REQUIRE(start(&f, &k, "\"phq-9\"") == 0);

    station_cmd(&f, "{\"cmd\":\"begin_visit\",\"visit\":\"V-RET\",\"lang\":\"en\"}");
    REQUIRE(on_screen(&k, "form"));
    tap(&k, "start");
    for (int i = 0; i < 8; i++)
        tap(&k, "option-1");  /* "Not at all" */
    tap(&k, "option-2");      /* item 9: "Several days" */
    char *call = hv_client_expect(f.obs, rf_topic(&f, "room/" ROOM "/kiosk/call"), 5000);
    REQUIRE(call != NULL);
    CHECK_STR_EQ(json_str(call, "reason"), "safety");
    char call_id[64];
    snprintf(call_id, sizeof call_id, "%s", json_str(call, "id") ? json_str(call, "id") : "");
    free(call);
    CHECK(showing(&k, "form", 1));   /* the calm message */
    tap(&k, "continue");             /* the difficulty question (item 9 counts as a problem) */
    tap(&k, "back");                 /* item 9 again */
    tap(&k, "option-1");             /* "Not at all": no problem left, straight to the review */
    CHECK(showing(&k, "form", 2));   /* the review: Back, Send */
    tap(&k, "send");
    char *resp = expect_response(&f, f.obs, "V-RET", 5000);
    REQUIRE(resp != NULL);
    cJSON *qr = cJSON_Parse(resp);
    REQUIRE(qr != NULL);
    CHECK_STR_EQ(qr_code(qr, "44260-8"), "LA6568-5");     /* the answer now */
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(qr_answer(qr, "44261-6"), "valueInteger");
    CHECK(cJSON_IsNumber(total) && total->valueint == 0);
    const cJSON *said = rule_answer_part(qr, "44260-8", "answer");
    if (!said)
        fprintf(stderr, "  no rule-answer extension on item 9 in: %s\n", resp);
    CHECK_STR_EQ(jstr(cJSON_GetObjectItemCaseSensitive(said, "valueCoding"), "code"), "LA6569-3");
    CHECK_STR_EQ(jstr(cJSON_GetObjectItemCaseSensitive(said, "valueCoding"), "system"),
                 "http://loinc.org");
    const cJSON *when = cJSON_GetObjectItemCaseSensitive(rule_answer_part(qr, "44260-8", "answered"),
                                                         "valueDateTime");
    CHECK(cJSON_IsString(when) && strlen(when->valuestring) == 24);   /* 2026-...T..:..:..._..Z */
    const cJSON *raised = cJSON_GetObjectItemCaseSensitive(rule_answer_part(qr, "44260-8", "call"),
                                                           "valueIdentifier");
    CHECK_STR_EQ(jstr(raised, "value"), call_id);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rule_answer_part(qr, "44260-8", "changed"),
                                                        "valueBoolean")));
    cJSON_Delete(qr);
#ifdef HAVEN_TEST_RECORD
    /* The station's record of it: item 9 answered 0 last, endorsed in this infusion. */
    record *rec = record_open(":memory:");
    struct record_course c;
    REQUIRE(rec != NULL);
    CHECK_INT_EQ(record_visit_begun(rec, "V-RET", "P-RET", ROOM, 1796651587412LL), 0);
    CHECK_INT_EQ(record_add_response(rec, ROOM, resp, strlen(resp), 1796651587412LL), RECORD_NEW);
    REQUIRE(record_course(rec, "P-RET", 1796651587412LL, 0, &c) == 0);
    CHECK_INT_EQ(c.n, 1);
    CHECK_INT_EQ(c.inf[0].item9, 0);
    CHECK_INT_EQ(c.inf[0].phq9, 0);
    CHECK(c.inf[0].item9_endorsed);
    CHECK_INT_EQ(c.item9_endorsements, 1);
    record_close(rec);
#endif
    free(resp);
    kf_finish(&k);
    rf_finish(&f);
}

/*
 * Issue 14, defect 7: the safety checklist with answers that have no LOINC code
 * ("Only a taxi", "I am not sure", "Another medicine") and a rule it sets off:
 * each coding has Haven's code system, every linkId is in Haven's Questionnaire
 * (expect_response checks both), the visit is the encounter, and nothing names
 * LOINC's Questionnaire or sends the visit as the subject.
 */
static void test_checklist_codings_have_systems(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    REQUIRE(start(&f, &k, "\"safety-checklist\"") == 0);

    station_cmd(&f, "{\"cmd\":\"begin_visit\",\"visit\":\"V-SYS\",\"lang\":\"en\"}");
    REQUIRE(on_screen(&k, "form"));
    tap(&k, "start");
    tap(&k, "option-2");  /* food: no */
    tap(&k, "option-2");  /* drinks: no */
    tap(&k, "option-2");  /* escort: only a taxi (pages, routine) */
    tap(&k, "option-4");  /* current medicines: none of these (a check box) */
    tap(&k, "next");
    tap(&k, "option-3");  /* new medicine: not sure (the infusion is unknown: asked) */
    tap(&k, "option-3");  /* which: another medicine (a check box) */
    tap(&k, "next");
    tap(&k, "option-2");  /* chest pain: no */
    tap(&k, "option-2");  /* blood pressure: no */
    CHECK(showing(&k, "form", 2));
    tap(&k, "send");
    char *resp = expect_response(&f, f.obs, "V-SYS", 5000);
    REQUIRE(resp != NULL);
    cJSON *qr = cJSON_Parse(resp);
    REQUIRE(qr != NULL);
    CHECK_STR_EQ(json_str(resp, "questionnaire"),
                 "https://haven.invalid/fhir/Questionnaire/safety-checklist|1");
    const cJSON *escort = cJSON_GetObjectItemCaseSensitive(qr_answer(qr, "escort"), "valueCoding");
    CHECK_STR_EQ(jstr(escort, "system"), "https://haven.invalid/fhir/CodeSystem/safety-checklist");
    CHECK_STR_EQ(jstr(escort, "code"), "taxi");
    CHECK_STR_EQ(qr_code(qr, "which-medicine"), "other");
    CHECK(ident_is(qr, "encounter", "urn:haven:visit", "V-SYS"));
    CHECK(strstr(resp, "loinc.org/q/") == NULL);
    CHECK(!ident_is(qr, "subject", "urn:haven:visit", NULL));
    CHECK(codings_have_systems(qr) >= 9);   /* eight answers and the escort's rule-answer */
    cJSON_Delete(qr);
    free(resp);
    kf_finish(&k);
    rf_finish(&f);
}

/* The concern details of a call payload's "concerns" (issue 14), joined with " | ". */
static void concern_details(const char *payload, char *out, size_t outlen, int *n)
{
    cJSON *root = cJSON_Parse(payload);
    const cJSON *k;
    size_t len = 0;

    out[0] = '\0';
    *n = 0;
    cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(root, "concerns")) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(k, "detail");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(k, "priority");
        len += (size_t)snprintf(out + len, len < outlen ? outlen - len : 0, "%s%s:%s",
                                (*n)++ ? " | " : "", cJSON_IsString(p) ? p->valuestring : "?",
                                cJSON_IsString(d) ? d->valuestring : "");
    }
    cJSON_Delete(root);
}

/*
 * Issue 14, defect 1, end to end: on the safety checklist "ate in the last 3
 * hours" (routine) is paged, then "a drink" (routine again) is paged with both
 * concerns, then chest pain (the help reason's assist) while that call is open
 * reaches the nurses as assist, "chest pain", with every concern listed: one
 * call throughout (one id on every page and on the room's retained call).
 */
static void test_checklist_concerns_raise_the_call(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    char first[64], got[1024];
    int n;
    REQUIRE(start(&f, &k, "\"safety-checklist\"") == 0);
    hv_client *pager = rf_client(&f, "pager");
    REQUIRE(pager && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);
    hv_client *board = rf_client(&f, "board");
    REQUIRE(board && hv_client_sub(board, rf_topic(&f, "call/" ROOM), 1) == 0);

    station_cmd(&f, "{\"cmd\":\"begin_visit\",\"visit\":\"V-CON\",\"lang\":\"en\"}");
    REQUIRE(on_screen(&k, "form"));
    tap(&k, "start");
    tap(&k, "option-1");  /* food: yes */
    char *page = hv_client_expect(pager, rf_topic(&f, "page/nurses"), 5000);
    REQUIRE(page != NULL);
    CHECK_STR_EQ(json_str(page, "priority"), "routine");
    CHECK_STR_EQ(json_str(page, "detail"), "safety checklist: ate in the last 3 hours");
    snprintf(first, sizeof first, "%s", json_str(page, "id") ? json_str(page, "id") : "");
    free(page);

    tap(&k, "option-1");  /* drinks: yes (routine, as the call) */
    page = hv_client_expect(pager, rf_topic(&f, "page/nurses"), 5000);
    REQUIRE(page != NULL);
    CHECK_STR_EQ(json_str(page, "id"), first);
    CHECK_STR_EQ(json_str(page, "priority"), "routine");
    CHECK_STR_EQ(json_str(page, "detail"), "safety checklist: had a drink in the last 2 hours");
    concern_details(page, got, sizeof got, &n);
    CHECK_INT_EQ(n, 2);
    free(page);

    tap(&k, "option-1");  /* escort: yes, an adult I know */
    tap(&k, "option-4");  /* medicines taken now: none of these */
    tap(&k, "next");
    tap(&k, "option-2");  /* new medicines: no */
    tap(&k, "option-1");  /* chest pain: yes */
    page = hv_client_expect(pager, rf_topic(&f, "page/nurses"), 5000);
    REQUIRE(page != NULL);
    CHECK_STR_EQ(json_str(page, "id"), first);        /* the room's one call, raised */
    CHECK_STR_EQ(json_str(page, "priority"), "assist");
    CHECK_STR_EQ(json_str(page, "reason"), "help");
    CHECK_STR_EQ(json_str(page, "state"), "open");
    CHECK_STR_EQ(json_str(page, "detail"), "safety checklist: chest pain or racing/uneven heartbeat");
    concern_details(page, got, sizeof got, &n);
    CHECK_INT_EQ(n, 3);
    CHECK_STR_EQ(got, "routine:safety checklist: ate in the last 3 hours | "
                      "routine:safety checklist: had a drink in the last 2 hours | "
                      "assist:safety checklist: chest pain or racing/uneven heartbeat");
    free(page);

    /* The boards' view: the room's call is that one call, with the three.  The controller
     * publishes it just after the page: the board takes updates until the upgraded one. */
    char *call = NULL;
    for (int i = 0; i < 8; i++) {
        free(call);
        call = hv_client_expect(board, rf_topic(&f, "call/" ROOM), 5000);
        if (!call || (json_str(call, "priority") && !strcmp(json_str(call, "priority"), "assist")))
            break;
        CHECK_STR_EQ(json_str(call, "id"), first);  /* every update: the one call */
    }
    REQUIRE(call != NULL);
    CHECK_STR_EQ(json_str(call, "id"), first);
    CHECK_STR_EQ(json_str(call, "priority"), "assist");
    concern_details(call, got, sizeof got, &n);
    CHECK_INT_EQ(n, 3);
    free(call);
    kf_finish(&k);
    hv_client_free(board);
    hv_client_free(pager);
    rf_finish(&f);
}

/*
 * Discharge, in Spanish: "a little" dizzy pages a nurse (unwell, routine) at once; the
 * checklist has four questions, none asking the patient to stand.  Screens photographed.
 */
static void test_a_little_dizzy_calls(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    REQUIRE(start(&f, &k, "") == 0);
    hv_client *pager = rf_client(&f, "pager");
    REQUIRE(pager && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);

    station_cmd(&f, "{\"cmd\":\"begin_visit\",\"visit\":\"V-DIZ\",\"lang\":\"es\"}");
    station_cmd(&f, "{\"cmd\":\"phase\",\"phase\":\"discharge\"}");
    REQUIRE(on_screen(&k, "form"));
    SDL_FreeSurface(kf_shot(&k, "forms-es-discharge-intro"));
    tap(&k, "start");
    tap(&k, "option-1");  /* nausea: no */
    SDL_FreeSurface(kf_shot(&k, "forms-es-discharge-dizzy"));
    tap(&k, "option-2");  /* dizzy: "Un poco" */
    char *call = hv_client_expect(f.obs, rf_topic(&f, "room/" ROOM "/kiosk/call"), 5000);
    REQUIRE(call != NULL);
    CHECK_STR_EQ(json_str(call, "reason"), "unwell");
    CHECK_STR_EQ(json_str(call, "priority"), "routine");
    CHECK(strstr(call, "a little sick or dizzy") != NULL);
    free(call);
    char *page = hv_client_expect(pager, rf_topic(&f, "page/nurses"), 5000);
    REQUIRE(page != NULL);
    CHECK_STR_EQ(json_str(page, "priority"), "routine");
    free(page);
    SDL_FreeSurface(kf_shot(&k, "forms-es-discharge-escort"));
    tap(&k, "option-1");  /* escort here: yes */
    tap(&k, "option-1");  /* will not drive today */
    CHECK(showing(&k, "form", 2));  /* the review: Back, Send (four questions, no fifth) */
    SDL_FreeSurface(kf_shot(&k, "forms-es-discharge-review"));
    tap(&k, "send");
    char *resp = expect_response(&f, f.obs, "V-DIZ", 5000);
    REQUIRE(resp != NULL);
    CHECK_STR_EQ(json_str(resp, "status"), "completed");
    CHECK(strstr(resp, "steady") == NULL);
    free(resp);
    kf_finish(&k);
    hv_client_free(pager);
    rf_finish(&f);
}

/* The safety checklist's answer (a linkId's) codes in order, "a,b" (at most max bytes). */
static void qr_codes(const cJSON *qr, const char *link, char *out, size_t max)
{
    const cJSON *ans;
    size_t n = 0;

    out[0] = '\0';
    cJSON_ArrayForEach(ans, cJSON_GetObjectItemCaseSensitive(qr_item(qr, link), "answer")) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(ans, "valueCoding"), "code");
        if (cJSON_IsString(c) && n < max)
            n += (size_t)snprintf(out + n, max - n, "%s%s", n ? "," : "", c->valuestring);
    }
}

/*
 * A first infusion (begin_visit's "infusion":1) at w x h in lang: "which of these do you take
 * now", two medicines chosen (check boxes), Next: the nurse is paged for each, routine; "since
 * your last visit" is not asked; the response has both answers.  Screens photographed.
 */
static void current_medicines_at(int w, int h, const char *lang)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    char cmd[200], name[96], codes[200];
    REQUIRE(start_at(&f, &k, "\"safety-checklist\"", w, h) == 0);
    hv_client *pager = rf_client(&f, "pager");
    REQUIRE(pager && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);

    snprintf(cmd, sizeof cmd, "{\"cmd\":\"begin_visit\",\"visit\":\"V-MED\",\"lang\":\"%s\","
             "\"infusion\":1}", lang);
    station_cmd(&f, cmd);
    REQUIRE(on_screen(&k, "form"));
    tap(&k, "start");
    tap(&k, "option-2");  /* food: no */
    tap(&k, "option-2");  /* drinks: no */
    tap(&k, "option-1");  /* escort: yes, an adult I know */
    CHECK_INT_EQ(check_targets(&k, "current medicines"), 5);  /* four answers, back */
    snprintf(name, sizeof name, "forms-%dx%d-%s-current-medicines", w, h, lang);
    SDL_FreeSurface(kf_shot(&k, name));
    tap(&k, "option-1");  /* a medicine for nerves or sleep */
    tap(&k, "option-2");  /* lamotrigine */
    CHECK(hv_client_expect_none(f.obs, rf_topic(&f, "room/" ROOM "/kiosk/call"), 300));
    CHECK_INT_EQ(check_targets(&k, "current medicines, two chosen"), 6);  /* and Next */
    snprintf(name, sizeof name, "forms-%dx%d-%s-current-medicines-chosen", w, h, lang);
    SDL_FreeSurface(kf_shot(&k, name));
    tap(&k, "next");

    /* Two concerns, each a call of its own, both routine; the nurse paged for both. */
    char *call = hv_client_expect(f.obs, rf_topic(&f, "room/" ROOM "/kiosk/call"), 5000);
    REQUIRE(call != NULL);
    CHECK_STR_EQ(json_str(call, "reason"), "help");
    CHECK_STR_EQ(json_str(call, "priority"), "routine");
    CHECK_STR_EQ(json_str(call, "detail"), "safety checklist: takes a benzodiazepine (may blunt the treatment)");
    free(call);
    call = hv_client_expect(f.obs, rf_topic(&f, "room/" ROOM "/kiosk/call"), 5000);
    REQUIRE(call != NULL);
    CHECK_STR_EQ(json_str(call, "priority"), "routine");
    CHECK_STR_EQ(json_str(call, "detail"), "safety checklist: takes lamotrigine (may blunt the treatment)");
    free(call);
    bool benzo = false, lamo = false;
    for (int i = 0; i < 4 && !(benzo && lamo); i++) {
        char *page = hv_client_expect(pager, rf_topic(&f, "page/nurses"), 5000);
        if (!page)
            break;
        CHECK_STR_EQ(json_str(page, "priority"), "routine");
        benzo |= strstr(page, "takes a benzodiazepine") != NULL;
        lamo |= strstr(page, "takes lamotrigine") != NULL;
        free(page);
    }
    CHECK(benzo && lamo);

    /* A first infusion: straight on to chest pain ("since your last visit" is not asked). */
    CHECK_INT_EQ(check_targets(&k, "chest pain"), 3);  /* yes, no, back */
    tap(&k, "option-2");  /* chest pain: no */
    tap(&k, "option-2");  /* blood pressure: no */
    CHECK(showing(&k, "form", 2));  /* the review */
    snprintf(name, sizeof name, "forms-%dx%d-%s-checklist-review", w, h, lang);
    SDL_FreeSurface(kf_shot(&k, name));
    tap(&k, "send");
    char *resp = hv_client_expect(f.obs, rf_topic(&f, "room/" ROOM "/kiosk/response"), 5000);
    REQUIRE(resp != NULL);
    cJSON *qr = cJSON_Parse(resp);
    REQUIRE(qr != NULL);
    qr_codes(qr, "current-medicines", codes, sizeof codes);
    CHECK_STR_EQ(codes, "benzodiazepine,lamotrigine");
    CHECK(qr_item(qr, "new-medicines") == NULL);
    CHECK(qr_item(qr, "which-medicine") == NULL);
    cJSON_Delete(qr);
    free(resp);
    kf_finish(&k);
    hv_client_free(pager);
    rf_finish(&f);
}

static void test_current_medicines(void)
{
    current_medicines_at(1024, 600, "en");
    current_medicines_at(1024, 600, "es");
    current_medicines_at(1920, 1080, "en");
    current_medicines_at(1920, 1080, "es");
}

/*
 * A later infusion, killed with two medicines ticked and not yet confirmed: back with the
 * same two ticked (Next there), nothing paged until Next; then both paged, "since your last
 * visit" asked, and the response with the two.
 */
static void test_kill_keeps_the_set(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    char codes[200];
    REQUIRE(start(&f, &k, "\"safety-checklist\"") == 0);

    station_cmd(&f, "{\"cmd\":\"begin_visit\",\"visit\":\"V-SET\",\"lang\":\"en\",\"infusion\":2}");
    REQUIRE(on_screen(&k, "form"));
    tap(&k, "start");
    tap(&k, "option-2");  /* food: no */
    tap(&k, "option-2");  /* drinks: no */
    tap(&k, "option-1");  /* escort: yes */
    tap(&k, "option-2");  /* lamotrigine */
    tap(&k, "option-3");  /* not sure */
    REQUIRE(kf_send(&k, "targets") == 0);
    REQUIRE(kf_wait_log(&k, "tapname option-3 on form", 3000));
    kf_kill(&k);
    CHECK(hv_client_expect_none(f.obs, rf_topic(&f, "room/" ROOM "/kiosk/call"), 300));

    REQUIRE(kf_restart(&k, true) == 0);
    CHECK(kf_wait_log(&k, "resumed from 6 journaled tap(s): form 1 of 1 (safety-checklist), "
                      "question current-medicines", 5000));
    REQUIRE(on_screen(&k, "form"));
    CHECK(showing(&k, "form", 6));  /* four answers, Back, and Next: two are ticked */
    SDL_FreeSurface(kf_shot(&k, "forms-set-after-kill"));
    CHECK(hv_client_expect_none(f.obs, rf_topic(&f, "room/" ROOM "/kiosk/call"), 300));
    tap(&k, "next");
    char *call = hv_client_expect(f.obs, rf_topic(&f, "room/" ROOM "/kiosk/call"), 5000);
    REQUIRE(call != NULL);
    CHECK_STR_EQ(json_str(call, "detail"), "safety checklist: takes lamotrigine (may blunt the treatment)");
    free(call);
    call = hv_client_expect(f.obs, rf_topic(&f, "room/" ROOM "/kiosk/call"), 5000);
    REQUIRE(call != NULL);
    CHECK(strstr(call, "not sure if they take") != NULL);
    free(call);
    tap(&k, "option-2");  /* a later infusion: since your last visit, no change */
    tap(&k, "option-2");  /* chest pain: no */
    tap(&k, "option-2");  /* blood pressure: no */
    tap(&k, "send");
    char *resp = hv_client_expect(f.obs, rf_topic(&f, "room/" ROOM "/kiosk/response"), 5000);
    REQUIRE(resp != NULL);
    cJSON *qr = cJSON_Parse(resp);
    REQUIRE(qr != NULL);
    qr_codes(qr, "current-medicines", codes, sizeof codes);
    CHECK_STR_EQ(codes, "lamotrigine,not-sure");
    CHECK_STR_EQ(qr_code(qr, "new-medicines"), "LA32-8");
    CHECK_STR_EQ(json_str(resp, "status"), "completed");
    cJSON_Delete(qr);
    free(resp);
    kf_finish(&k);
    rf_finish(&f);
}

/* Spanish from begin_visit, every kind of form screen photographed; and the welcome screen. */
static void test_spanish_screens(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    REQUIRE(start(&f, &k, "\"safety-checklist\", \"phq-9\"") == 0);

    tap(&k, "lang-es");  /* on the welcome screen */
    REQUIRE(on_screen(&k, "idle"));
    SDL_FreeSurface(kf_shot(&k, "forms-es-welcome"));
    station_cmd(&f, "{\"cmd\":\"begin_visit\",\"visit\":\"V-ES\",\"lang\":\"es\"}");
    REQUIRE(on_screen(&k, "form"));
    SDL_FreeSurface(kf_shot(&k, "forms-es-checklist-intro"));
    tap(&k, "start");
    SDL_FreeSurface(kf_shot(&k, "forms-es-checklist-1"));
    tap(&k, "option-2");  /* food: no */
    SDL_FreeSurface(kf_shot(&k, "forms-es-checklist-drinks"));
    tap(&k, "option-2");  /* drinks: no */
    SDL_FreeSurface(kf_shot(&k, "forms-es-checklist-escort"));
    tap(&k, "option-1");  /* escort: yes, an adult I know */
    SDL_FreeSurface(kf_shot(&k, "forms-es-checklist-current-medicines"));
    tap(&k, "option-4");  /* taken now: none of these */
    tap(&k, "next");
    tap(&k, "option-1");  /* new medicine: yes */
    SDL_FreeSurface(kf_shot(&k, "forms-es-checklist-medicine"));
    tap(&k, "option-3");  /* another medicine */
    tap(&k, "next");
    SDL_FreeSurface(kf_shot(&k, "forms-es-checklist-chest-pain"));
    tap(&k, "option-2");  /* chest pain: no */
    SDL_FreeSurface(kf_shot(&k, "forms-es-checklist-blood-pressure"));
    tap(&k, "option-2");  /* blood pressure: no */
    SDL_FreeSurface(kf_shot(&k, "forms-es-checklist-review"));
    tap(&k, "send");
    SDL_FreeSurface(kf_shot(&k, "forms-es-phq9-intro"));
    tap(&k, "start");
    SDL_FreeSurface(kf_shot(&k, "forms-es-phq9-1"));
    for (int i = 0; i < 7; i++)
        tap(&k, "option-1");
    SDL_FreeSurface(kf_shot(&k, "forms-es-phq9-8"));
    tap(&k, "option-1");
    tap(&k, "option-4");  /* item 9: "Casi todos los días" */
    CHECK(showing(&k, "form", 1));
    SDL_FreeSurface(kf_shot(&k, "forms-es-safety-message"));
    tap(&k, "continue");
    SDL_FreeSurface(kf_shot(&k, "forms-es-phq9-difficulty"));
    tap(&k, "option-3");
    SDL_FreeSurface(kf_shot(&k, "forms-es-phq9-review"));
    tap(&k, "send");
    char *resp = NULL;
    for (int n = 0; n < 2; n++) {  /* the checklist's, then PHQ-9's */
        free(resp);
        resp = expect_response(&f, f.obs, "V-ES", 5000);
        REQUIRE(resp != NULL);
    }
    CHECK_STR_EQ(json_str(resp, "language"), "es");
    CHECK(strstr(resp, "Casi todos los días") != NULL);
    CHECK(strstr(resp, "Pensamientos de que estaría mejor muerto(a)") != NULL);
    free(resp);
    SDL_FreeSurface(kf_shot(&k, "forms-es-done"));
    kf_finish(&k);
    rf_finish(&f);
}

/* The smallest screen (800x480 at 160 dpi, the largest text): every form screen still fits. */
static void test_small_screen(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    dpi = 160;
    REQUIRE(start_at(&f, &k, "\"safety-checklist\", \"phq-9\"", 800, 480) == 0);
    station_cmd(&f, "{\"cmd\":\"begin_visit\",\"visit\":\"V-SMALL\",\"lang\":\"es\"}");
    REQUIRE(on_screen(&k, "form"));
    CHECK_INT_EQ(check_targets(&k, "intro"), 3);
    SDL_FreeSurface(kf_shot(&k, "forms-800x480-es-intro"));
    tap(&k, "start");
    CHECK_INT_EQ(check_targets(&k, "checklist 1"), 3);  /* yes, no, back */
    tap(&k, "option-2");  /* food */
    tap(&k, "option-2");  /* drinks */
    CHECK_INT_EQ(check_targets(&k, "escort"), 5);  /* four answers, back */
    SDL_FreeSurface(kf_shot(&k, "forms-800x480-es-escort"));
    tap(&k, "option-1");
    CHECK_INT_EQ(check_targets(&k, "current medicines"), 5);  /* four answers, back: no Next yet */
    tap(&k, "option-1");
    tap(&k, "option-2");
    CHECK_INT_EQ(check_targets(&k, "current medicines, two chosen"), 6);  /* and Next */
    SDL_FreeSurface(kf_shot(&k, "forms-800x480-es-current-medicines"));
    tap(&k, "option-4");  /* none of these: the two go */
    tap(&k, "next");
    tap(&k, "option-1");
    CHECK_INT_EQ(check_targets(&k, "which medicine"), 5);  /* four answers, back */
    SDL_FreeSurface(kf_shot(&k, "forms-800x480-es-medicine"));
    tap(&k, "option-3");
    tap(&k, "next");
    tap(&k, "option-2");  /* chest pain */
    SDL_FreeSurface(kf_shot(&k, "forms-800x480-es-blood-pressure"));
    tap(&k, "option-2");  /* blood pressure */
    tap(&k, "send");
    char *resp = expect_response(&f, f.obs, "V-SMALL", 5000);  /* checked and validated too */
    CHECK(resp != NULL);
    free(resp);
    tap(&k, "start");
    for (int i = 0; i < 7; i++)
        tap(&k, "option-2");
    CHECK_INT_EQ(check_targets(&k, "PHQ-9 item 8"), 5);  /* four answers, back (no answer yet: no Next) */
    SDL_FreeSurface(kf_shot(&k, "forms-800x480-es-phq9-8"));
    tap(&k, "option-1");
    tap(&k, "option-1");
    tap(&k, "option-1");  /* difficulty */
    CHECK_INT_EQ(check_targets(&k, "review"), 2);
    SDL_FreeSurface(kf_shot(&k, "forms-800x480-es-review"));
    kf_finish(&k);
    rf_finish(&f);
    dpi = 96;
}

#define MOOD_FORM(second_band) \
    "id = \"mood\";\ntitle = \"Mood\";\n" \
    "answers = ( { value = \"0\"; score = 0; text = \"No\"; },\n" \
    "            { value = \"1\"; score = 1; text = \"Yes\"; } );\n" \
    "items = ( { id = \"a\"; text = \"A\"; }, { id = \"b\"; text = \"B\"; } );\n" \
    "scores = ( { id = \"s\"; text = \"S\"; items = [ \"a\", \"b\" ];\n" \
    "  bands = ( { from = 0; to = 0; label = \"low\"; },\n" \
    "            { from = " second_band "; to = 2; label = \"high\"; } ); } );\n"

/*
 * SIGHUP with a broken form: refused with file:line, the patient's form goes
 * on; with the form mended: taken, from the next phase (a form is begun).
 */
static void test_reload_broken_form_refused(void)
{
    char *dir = hv_tmpdir("forms-reload");
    REQUIRE(dir != NULL);
    char forms[600], form[700], extra[900], want[800];
    snprintf(forms, sizeof forms, "%s/forms", dir);
    snprintf(form, sizeof form, "%s/mood.cfg", forms);
    REQUIRE(mkdir(forms, 0700) == 0);
    REQUIRE(hv_write_file(form, MOOD_FORM("1")) == 0);
    snprintf(extra, sizeof extra, "kiosk = { questionnaires = { dir = \"%s\"; intake = [ \"mood\" ];"
             " crisis_line = \"988\"; }; };\n", forms);
    char *cfg = rf_default_config("%PREFIX%", extra);
    struct room_fixture f;
    struct kiosk_fixture k;
    REQUIRE(cfg && rf_start(&f, cfg, false) == 0);
    free(cfg);
    REQUIRE(kf_start(&k, &f, ROOM, W, H) == 0);

    station_cmd(&f, "{\"cmd\":\"begin_visit\",\"visit\":\"V-HUP\",\"lang\":\"en\"}");
    REQUIRE(on_screen(&k, "form"));
    tap(&k, "start");
    tap(&k, "option-2");
    REQUIRE(hv_write_file(form, MOOD_FORM("2")) == 0);  /* a gap: 1 is in no band */
    CHECK(hv_proc_signal(k.proc, SIGHUP) == 0);
    snprintf(want, sizeof want, "reload refused, keeping the running configuration: %s:8: ", form);
    CHECK(kf_wait_log(&k, want, 5000));
    CHECK(showing(&k, "form", 3));  /* question 2 still: its two answers and Back */

    REQUIRE(hv_write_file(form, MOOD_FORM("1")) == 0);
    CHECK(hv_proc_signal(k.proc, SIGHUP) == 0);
    CHECK(kf_wait_log(&k, "questionnaires reloaded: used from the next phase", 5000));
    tap(&k, "option-1");
    tap(&k, "send");
    forms_dir = forms;   /* its Questionnaire is the test's own form's */
    char *resp = expect_response(&f, f.obs, "V-HUP", 5000);
    forms_dir = HAVEN_SOURCE_DIR "/config/questionnaires";
    REQUIRE(resp != NULL);
    CHECK_STR_EQ(json_str(resp, "status"), "completed");
    CHECK(strstr(resp, "\"valueInteger\":1") != NULL);
    free(resp);
    kf_finish(&k);
    rf_finish(&f);
    if (!check_current_failed)
        hv_rm_rf(dir);
    free(dir);
}

/* Runs haven-kiosk with args; its output in out_path. The exit status. */
static int run_kiosk(const char *const args[], const char *out_path)
{
    char *argv[16];
    int n = 0;

    argv[n++] = HAVEN_KIOSK_BIN;
    while (*args && n < 15)
        argv[n++] = (char *)*args++;
    argv[n] = NULL;
    setenv("SDL_VIDEODRIVER", "dummy", 1);
    hv_proc *p = hv_proc_spawn(argv, out_path);
    int status = p ? hv_proc_wait(p, 20000) : -1;
    hv_proc_free(p);
    return status;
}

/* A broken form: `haven-kiosk check` and the kiosk itself refuse it with file:line. */
static void test_broken_form_refused(void)
{
    char *dir = hv_tmpdir("forms-broken");
    REQUIRE(dir != NULL);
    char forms[600], form[700], cfg_path[600], out[600], state[600], want[800], extra[900];
    snprintf(forms, sizeof forms, "%s/forms", dir);
    snprintf(form, sizeof form, "%s/mood.cfg", forms);
    snprintf(cfg_path, sizeof cfg_path, "%s/haven.cfg", dir);
    snprintf(out, sizeof out, "%s/out.txt", dir);
    snprintf(state, sizeof state, "%s/state", dir);
    REQUIRE(mkdir(forms, 0700) == 0);
    REQUIRE(hv_write_file(form, MOOD_FORM("2")) == 0);  /* a gap: the band on line 8 */
    snprintf(extra, sizeof extra, "kiosk = { questionnaires = { dir = \"forms\"; intake = [ \"mood\" ];"
             " crisis_line = \"988\"; }; };\n");
    char *text = rf_default_config("t-broken", extra);
    REQUIRE(text && hv_write_file(cfg_path, text) == 0);
    free(text);
    snprintf(want, sizeof want, "%s:8: ", form);

    const char *check[] = { "check", "--config", cfg_path, "--room", ROOM, NULL };
    CHECK_INT_EQ(run_kiosk(check, out), 2);
    char *said = hv_read_file(out);
    CHECK(said && strstr(said, want) && strstr(said, "should start at 1"));
    if (said && !strstr(said, want))
        fprintf(stderr, "  want \"%s\" in: %s\n", want, said);
    free(said);
    unlink(out);
    const char *run[] = { "--config", cfg_path, "--room", ROOM, "--state", state,
                          "--windowed", "800x480", NULL };
    CHECK_INT_EQ(run_kiosk(run, out), 2);
    said = hv_read_file(out);
    CHECK(said && strstr(said, want));
    free(said);
    if (!check_current_failed)
        hv_rm_rf(dir);
    free(dir);
}

int main(void)
{
    char *dir = hv_tmpdir("forms-fhir");

    if (!dir)
        return 1;
    snprintf(fhir_dir, sizeof fhir_dir, "%s", dir);
    free(dir);
    RUN(test_phq9_by_touch);
    RUN(test_item9_retracted_is_kept);
    RUN(test_checklist_codings_have_systems);
    RUN(test_safety_upgrades_open_call);
    RUN(test_kill_resumes);
    RUN(test_abandoned_is_stopped);
    RUN(test_response_survives_broker_down_and_kill);
    RUN(test_rule_priority);
    RUN(test_a_little_dizzy_calls);
    RUN(test_checklist_concerns_raise_the_call);
    RUN(test_current_medicines);
    RUN(test_kill_keeps_the_set);
    RUN(test_spanish_screens);
    RUN(test_small_screen);
    RUN(test_broken_form_refused);
    RUN(test_reload_broken_form_refused);
    RUN(test_responses_validate_against_r4_schema);   /* last: every response above */
    if (check_tests_failed == 0)
        hv_rm_rf(fhir_dir);   /* else kept: each response as received, and validate.txt */
    else
        fprintf(stderr, "the responses received are in %s\n", fhir_dir);
    return CHECK_SUMMARY();
}
