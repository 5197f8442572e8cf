/*
 * test_kiosk_record.c - the record's delivery (issue 14 part 2) with the real
 * kiosk, the real nurse station (haven-station) and a real broker: a
 * questionnaire finished while the station is down stays in the kiosk's
 * outbox (across a kiosk restart), reaches the station's record once the
 * station starts, is confirmed on P/room/R/kiosk/stored, and then leaves the
 * outbox for good; a visit begun with a patient key sends the key as the
 * response's subject.
 */
#include "check.h"
#include "json_util.h"
#include "kiosk_fixture.h"
#include "kit.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef HAVEN_SOURCE_DIR
#error "HAVEN_SOURCE_DIR must name the source tree"
#endif
#ifndef HAVEN_STATION_BIN
#error "HAVEN_STATION_BIN must name haven-station"
#endif

#define W 1280
#define H 800
#define ROOM "chair-1"

/* The station's files and its process. */
struct station_proc {
    char *dir;
    char users[600], log_path[600], record[600];
    int http_port;
    hv_proc *proc;
};

/* The clinic: the shipped PHQ-9 at intake, and a station block for haven-station. */
static char *config(struct station_proc *s)
{
    char extra[2048];

    snprintf(extra, sizeof extra,
             "kiosk = { questionnaires = {\n"
             "  dir = \"%s/config/questionnaires\";\n"
             "  intake = [ \"phq-9\" ];\n"
             "  crisis_line = { en = \"Call or text 988, any time.\";"
             " es = \"Llame o envíe un mensaje al 988, a cualquier hora.\"; };\n"
             "}; };\n"
             "station = { listen = \"127.0.0.1:%d\"; users = \"%s\"; audit = \"%s/audit.log\";"
             " record = \"%s\"; };\n",
             HAVEN_SOURCE_DIR, s->http_port, s->users, s->dir, s->record);
    return rf_default_config("%PREFIX%", extra);
}

/* One account (the station refuses to start without): the password on stdin, never argv. */
static int add_account(const struct station_proc *s)
{
    char cmd[1400];
    FILE *p;

    snprintf(cmd, sizeof cmd, "'%s' user add --users '%s' --role nurse sam >/dev/null 2>&1",
             HAVEN_STATION_BIN, s->users);
    p = popen(cmd, "w");
    if (!p)
        return -1;
    fputs("sam-password-1\n", p);
    return pclose(p) == 0 ? 0 : -1;
}

static int station_prepare(struct station_proc *s)
{
    memset(s, 0, sizeof *s);
    s->dir = hv_tmpdir("hrec");
    if (!s->dir)
        return -1;
    snprintf(s->users, sizeof s->users, "%s/users", s->dir);
    snprintf(s->log_path, sizeof s->log_path, "%s/station.log", s->dir);
    snprintf(s->record, sizeof s->record, "%s/record.db", s->dir);
    s->http_port = hv_free_port();
    return add_account(s);
}

/* Starts haven-station on f's broker; waits for its retained status online. */
static int station_start(struct station_proc *s, struct room_fixture *f)
{
    char broker[64];
    char *argv[] = { HAVEN_STATION_BIN, "--config", f->cfg_path, "--broker", broker, NULL };
    hv_client *w = rf_client(f, "station-watch");
    char *st;

    snprintf(broker, sizeof broker, "127.0.0.1:%d", f->port);
    if (!w || hv_client_sub(w, rf_topic(f, "station/station/status"), 1) != 0) {
        hv_client_free(w);
        return -1;
    }
    hv_client_drain(w);
    s->proc = hv_proc_spawn(argv, s->log_path);
    st = s->proc ? hv_client_expect(w, rf_topic(f, "station/station/status"), 10000) : NULL;
    while (st && !strstr(st, "\"online\":true")) {
        free(st);
        st = hv_client_expect(w, rf_topic(f, "station/station/status"), 10000);
    }
    hv_client_free(w);
    free(st);
    return st ? 0 : -1;
}

static void station_finish(struct station_proc *s)
{
    if (s->proc) {
        CHECK_INT_EQ(hv_proc_stop(s->proc), 0);   /* a clean stop (under ASan: no leak) */
        hv_proc_free(s->proc);
        s->proc = NULL;
    }
    if (s->dir) {
        char *log = hv_read_file(s->log_path);
        if (check_current_failed)
            fprintf(stderr, "----- haven-station log -----\n%s\n", log ? log : "");
        free(log);
        hv_rm_rf(s->dir);
        free(s->dir);
        s->dir = NULL;
    }
}

/* How often needle is in the file at path. */
static int count_in(const char *path, const char *needle)
{
    char *text = hv_read_file(path);
    int n = 0;

    for (const char *p = text; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    free(text);
    return n;
}

static bool wait_count(const char *path, const char *needle, int want, int timeout_ms)
{
    for (int64_t end = hv_now_us() + (int64_t)timeout_ms * 1000; hv_now_us() < end;
         hv_sleep_ms(50))
        if (count_in(path, needle) >= want)
            return true;
    return false;
}

static void station_cmd(const struct room_fixture *f, const char *json)
{
    hv_client *station = rf_client(f, "station-cmd");
    CHECK(station && hv_client_pub(station, rf_topic(f, "room/" ROOM "/kiosk/cmd"), json, 1,
                                   false) == 0);
    hv_client_free(station);
}

/* A tap on the current screen's target name. */
static void tap(struct kiosk_fixture *k, const char *name)
{
    CHECK(kf_tapname(k, name) == 0);
}

/* subject.identifier.value (or encounter's) of a response. */
static const char *ref_value(const cJSON *qr, const char *field, const char *system)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(qr, field), "identifier");
    const cJSON *sys = cJSON_GetObjectItemCaseSensitive(id, "system");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(id, "value");

    return cJSON_IsString(sys) && strcmp(sys->valuestring, system) == 0 && cJSON_IsString(v)
               ? v->valuestring : "(none)";
}

/*
 * The station down: PHQ-9 finished; the broker acknowledges the response but
 * nobody stores it, so it stays in the outbox, and a kiosk restart sends it
 * again.  The station starts: it stores it, confirms it, and the kiosk lets
 * go (a second restart sends nothing).
 */
static void test_held_until_the_station_has_it(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    struct station_proc s;
    char *cfg, stored_line[160], id[64];

    REQUIRE(station_prepare(&s) == 0);
    cfg = config(&s);
    REQUIRE(cfg && rf_start(&f, cfg, false) == 0);
    free(cfg);
    REQUIRE(kf_start(&k, &f, ROOM, W, H) == 0);
    hv_client *watch = rf_client(&f, "watch");
    REQUIRE(watch && hv_client_sub(watch, rf_topic(&f, "room/" ROOM "/kiosk/#"), 1) == 0);

    station_cmd(&f, "{\"cmd\":\"begin_visit\",\"visit\":\"V-HELD\",\"lang\":\"en\","
                    "\"patient\":\"P-held-1\"}");
    REQUIRE(kf_wait_log(&k, "phase intake, visit V-HELD", 5000));
    tap(&k, "start");
    for (int i = 0; i < 9; i++)
        tap(&k, "option-1");       /* "Not at all": no difficulty question */
    tap(&k, "send");
    char *resp = hv_client_expect(watch, rf_topic(&f, "room/" ROOM "/kiosk/response"), 5000);
    REQUIRE(resp != NULL);
    cJSON *qr = cJSON_Parse(resp);
    REQUIRE(qr != NULL);
    snprintf(id, sizeof id, "%s", json_str(resp, "id") ? json_str(resp, "id") : "");
    CHECK(id[0] != '\0');
    /* The patient key from begin_visit is the subject, the visit the encounter. */
    CHECK_STR_EQ(ref_value(qr, "subject", "urn:haven:patient"), "P-held-1");
    CHECK_STR_EQ(ref_value(qr, "encounter", "urn:haven:visit"), "V-HELD");
    cJSON_Delete(qr);
    free(resp);

    /* No station: no confirmation, and the response stays held across a restart. */
    CHECK(hv_client_expect_none(watch, rf_topic(&f, "room/" ROOM "/kiosk/stored"), 1000));
    kf_kill(&k);
    REQUIRE(kf_restart(&k, true) == 0);
    CHECK(kf_wait_log(&k, "connected; 1 message(s) waiting in the outbox", 5000));
    resp = hv_client_expect(watch, rf_topic(&f, "room/" ROOM "/kiosk/response"), 5000);
    CHECK(resp && json_str(resp, "id") && strcmp(json_str(resp, "id"), id) == 0);
    free(resp);

    /* The station comes: the kiosk sends it again at once (the station's status says
     * online), the station stores it and confirms, the kiosk lets go. */
    REQUIRE(station_start(&s, &f) == 0);
    char *ok = hv_client_expect(watch, rf_topic(&f, "room/" ROOM "/kiosk/stored"), 5000);
    CHECK(ok != NULL);
    if (!ok)
        goto out;
    CHECK_STR_EQ(json_str(ok, "id"), id);
    CHECK(json_str(ok, "refused") == NULL);
    free(ok);
    snprintf(stored_line, sizeof stored_line, "stored at the station: %s; 0 held message(s) left",
             id);
    CHECK(kf_wait_log(&k, stored_line, 5000));
    snprintf(stored_line, sizeof stored_line, "ingest: response %s from " ROOM " stored", id);
    CHECK(wait_count(s.log_path, stored_line, 1, 3000));

    /* Empty now: a restart of the kiosk sends nothing, and the station stored it once. */
    kf_kill(&k);
    hv_client_drain(watch);
    REQUIRE(kf_restart(&k, true) == 0);
    CHECK(kf_wait_log(&k, "connected; 0 message(s) waiting in the outbox", 5000));
    CHECK(hv_client_expect_none(watch, rf_topic(&f, "room/" ROOM "/kiosk/response"), 1500));
    CHECK_INT_EQ(count_in(s.log_path, stored_line), 1);
out:
    hv_client_free(watch);
    kf_finish(&k);
    station_finish(&s);
    rf_finish(&f);
}

/*
 * A station that is up: the response is stored and confirmed at once, and a
 * kiosk that sends it again (a reconnect) only gets a second confirmation.
 */
static void test_stored_once_when_the_station_is_up(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    struct station_proc s;
    char *cfg, line[160];

    REQUIRE(station_prepare(&s) == 0);
    cfg = config(&s);
    REQUIRE(cfg && rf_start(&f, cfg, false) == 0);
    free(cfg);
    REQUIRE(station_start(&s, &f) == 0);
    REQUIRE(kf_start(&k, &f, ROOM, W, H) == 0);
    hv_client *watch = rf_client(&f, "watch");
    REQUIRE(watch && hv_client_sub(watch, rf_topic(&f, "room/" ROOM "/kiosk/#"), 1) == 0);

    station_cmd(&f, "{\"cmd\":\"begin_visit\",\"visit\":\"V-UP\",\"lang\":\"en\"}");
    REQUIRE(kf_wait_log(&k, "phase intake, visit V-UP", 5000));
    tap(&k, "start");
    for (int i = 0; i < 9; i++)
        tap(&k, "option-1");
    tap(&k, "send");
    char *resp = hv_client_expect(watch, rf_topic(&f, "room/" ROOM "/kiosk/response"), 5000);
    REQUIRE(resp && json_str(resp, "id"));
    char *ok = hv_client_expect(watch, rf_topic(&f, "room/" ROOM "/kiosk/stored"), 5000);
    REQUIRE(ok != NULL);
    CHECK_STR_EQ(json_str(ok, "id"), json_str(resp, "id"));
    snprintf(line, sizeof line, "stored at the station: %s; 0 held message(s) left",
             json_str(resp, "id"));
    CHECK(kf_wait_log(&k, line, 5000));
    /* The same response once more (as a re-send would): confirmed, not stored twice. */
    hv_client *again = rf_client(&f, "again");
    REQUIRE(again && hv_client_pub(again, rf_topic(&f, "room/" ROOM "/kiosk/response"), resp, 1,
                                   false) == 0);
    free(ok);
    ok = hv_client_expect(watch, rf_topic(&f, "room/" ROOM "/kiosk/stored"), 5000);
    CHECK(ok && strcmp(json_str(ok, "id"), json_str(resp, "id")) == 0);
    snprintf(line, sizeof line, "record: response %s from " ROOM " again: already stored",
             json_str(resp, "id"));
    CHECK(wait_count(s.log_path, line, 1, 3000));
    free(ok);
    free(resp);
    hv_client_free(again);
    hv_client_free(watch);
    kf_finish(&k);
    station_finish(&s);
    rf_finish(&f);
}

int main(void)
{
    RUN(test_held_until_the_station_has_it);
    RUN(test_stored_once_when_the_station_is_up);
    return CHECK_SUMMARY();
}
