/*
 * record.c - the patient's course in SQLite (record.h).
 *
 * Layout: visits (one row a visit, the patient key on it), responses (one row
 * a QuestionnaireResponse: the JSON as it arrived and what the course needs
 * from it) and scores (every integer-valued item of a response: the totals).
 * The response id is the primary key, so a redelivery is one failed INSERT OR
 * IGNORE and nothing else.
 */
#include "record.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "mqtt.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The LOINC codes of what the course shows (config/questionnaires/phq-9.cfg, gad-7.cfg). */
#define LINK_PHQ9_TOTAL "44261-6"
#define LINK_GAD7_TOTAL "70274-6"
#define LINK_PHQ9_ITEM9 "44260-8"

struct record {
    struct db *db;
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS visits("
    "  visit TEXT PRIMARY KEY, patient TEXT, room TEXT,"
    "  begun_ms INTEGER NOT NULL, ended_ms INTEGER);"
    "CREATE INDEX IF NOT EXISTS visits_by_patient ON visits(patient, begun_ms);"
    "CREATE TABLE IF NOT EXISTS responses("
    "  id TEXT PRIMARY KEY, visit TEXT NOT NULL, room TEXT, questionnaire TEXT,"
    "  status TEXT, authored_ms INTEGER NOT NULL, received_ms INTEGER NOT NULL,"
    "  item9 INTEGER, item9_endorsed INTEGER NOT NULL DEFAULT 0,"
    "  fhir TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS responses_by_visit ON responses(visit, authored_ms);"
    "CREATE TABLE IF NOT EXISTS scores("
    "  response TEXT NOT NULL, link_id TEXT NOT NULL, value INTEGER NOT NULL,"
    "  PRIMARY KEY(response, link_id)) WITHOUT ROWID;"
    /* Version 2 (issue 14 part 2): the kiosks' check-ins, as they arrived. */
    "CREATE TABLE IF NOT EXISTS checkins("
    "  id TEXT PRIMARY KEY, room TEXT NOT NULL, visit TEXT, feeling INTEGER,"
    "  received_ms INTEGER NOT NULL, json TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS checkins_by_room ON checkins(room, received_ms);"
    /* ... and what a kiosk sent that the record cannot hold, kept as it arrived. */
    "CREATE TABLE IF NOT EXISTS refused("
    "  id TEXT NOT NULL, kind TEXT NOT NULL, room TEXT NOT NULL, why TEXT NOT NULL,"
    "  received_ms INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY(kind, id));"
    /* Version 3: who acknowledged each safety call (and joined safety concern). */
    "CREATE TABLE IF NOT EXISTS safety_acks("
    "  call TEXT NOT NULL, raised_ms INTEGER NOT NULL, room TEXT NOT NULL,"
    "  who TEXT NOT NULL, ack_ms INTEGER NOT NULL, PRIMARY KEY(call, raised_ms));"
    "CREATE INDEX IF NOT EXISTS safety_acks_by_room ON safety_acks(room, raised_ms);";

static const struct db_schema schema = {
    .name = "record",
    /* WAL: the course page reads while a response is written; NORMAL is durable
     * across a process crash, and a power cut loses at most the last commits,
     * which the kiosk's outbox still holds until confirmed. */
    .pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    .create = schema_sql,
    .version = 3,   /* 2: checkins, 3: safety_acks (created by schema_sql on older files) */
};

record *record_open(const char *path)
{
    record *r = calloc(1, sizeof *r);

    if (!r) {
        log_error("record %s: out of memory", path);
        return NULL;
    }
    r->db = db_open(path, &schema);
    if (!r->db) {
        free(r);
        return NULL;
    }
    return r;
}

void record_close(record *r)
{
    if (!r)
        return;
    db_close(r->db);
    free(r);
}

static bool key_ok(const char *k)
{
    return k && ids_valid(k) && strlen(k) < RECORD_KEY_MAX;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s && s[0])
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* Inserts the visit, or fills the patient (and room) it lacked. */
static int visit_upsert(record *r, const char *visit, const char *patient, const char *room,
                        int64_t ms)
{
    sqlite3_stmt *st = db_stmt(r->db,
        "INSERT INTO visits(visit, patient, room, begun_ms) VALUES(?1, ?2, ?3, ?4)"
        " ON CONFLICT(visit) DO UPDATE SET"
        "  patient = coalesce(visits.patient, excluded.patient),"
        "  room = coalesce(visits.room, excluded.room)");

    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, visit, -1, SQLITE_TRANSIENT);
    bind_text_or_null(st, 2, patient);
    bind_text_or_null(st, 3, room);
    sqlite3_bind_int64(st, 4, ms);
    return db_run(r->db, st, "record the visit");
}

int record_visit_begun(record *r, const char *visit, const char *patient, const char *room,
                       int64_t ms)
{
    if (!key_ok(visit) || (patient && patient[0] && !key_ok(patient)) ||
        (room && room[0] && !ids_valid(room))) {
        log_warn("record: visit refused: its visit id, patient key or room is not an id");
        return HV_EINVAL;
    }
    return visit_upsert(r, visit, patient, room, ms);
}

int record_visit_ended(record *r, const char *visit, int64_t ms)
{
    sqlite3_stmt *st;

    if (!key_ok(visit))
        return HV_EINVAL;
    st = db_stmt(r->db, "UPDATE visits SET ended_ms = ?2 WHERE visit = ?1 AND ended_ms IS NULL");
    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, visit, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, ms);
    return db_run(r->db, st, "record the end of the visit");
}

/* ---- what a response says -------------------------------------------------------------- */

struct score {
    const char *link;
    int value;
};

struct extracted {
    const char *id, *visit, *patient, *questionnaire, *status;
    int64_t authored_ms;
    int item9;            /* -1 not answered */
    bool item9_endorsed;
    int nscores;
    struct score scores[RECORD_RESPONSE_ITEMS_MAX];
};

static const char *str_of(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* "Encounter/V-1" -> "V-1" for want = "Encounter/"; NULL when it is not that. */
static const char *ref_id(const cJSON *o, const char *want)
{
    const char *ref = str_of(o, "reference");
    size_t n = strlen(want);

    return ref && strncmp(ref, want, n) == 0 ? ref + n : NULL;
}

/* identifier.value when identifier.system is system. */
static const char *ident_value(const cJSON *o, const char *system)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "identifier");
    const char *sys = str_of(id, "system");

    return sys && strcmp(sys, system) == 0 ? str_of(id, "value") : NULL;
}

/* PHQ answers 0..3 from their LOINC answer codes, or from the form's own values. */
static int phq_ordinal(const char *code)
{
    static const char *const la[] = { "LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9" };

    for (int i = 0; code && i < 4; i++)
        if (strcmp(code, la[i]) == 0 || (code[0] == '0' + i && code[1] == '\0'))
            return i;
    return -1;
}

/* The kiosk's extension for an answer that set a rule off (kiosk/forms/fhirq.h, docs/protocol.md). */
#define EXT_RULE_ANSWER "https://haven.invalid/fhir/StructureDefinition/rule-answer"

/* The answer code a rule-answer extension records (its "answer" part), or NULL. */
static const char *rule_answer_code(const cJSON *ext)
{
    const cJSON *part;

    cJSON_ArrayForEach(part, cJSON_GetObjectItemCaseSensitive(ext, "extension")) {
        const char *url = str_of(part, "url");
        if (url && strcmp(url, "answer") == 0)
            return str_of(cJSON_GetObjectItemCaseSensitive(part, "valueCoding"), "code");
    }
    return NULL;
}

/*
 * True when an extension of the item says it was endorsed at some time (issue
 * 14, defect 2): the kiosk's rule-answer extension with an answer above "Not
 * at all" (item 9 paged, then the patient went back to "Not at all"), or an
 * extension whose URL ends in "endorsed".
 */
static bool item_says_endorsed(const cJSON *item)
{
    const cJSON *ext;

    cJSON_ArrayForEach(ext, cJSON_GetObjectItemCaseSensitive(item, "extension")) {
        const char *url = str_of(ext, "url");
        size_t n = url ? strlen(url) : 0;
        if (n >= 8 && strcmp(url + n - 8, "endorsed") == 0)
            return true;
        if (url && strcmp(url, EXT_RULE_ANSWER) == 0 && phq_ordinal(rule_answer_code(ext)) > 0)
            return true;
    }
    return false;
}

static void take_item(struct extracted *x, const cJSON *item)
{
    const char *link = str_of(item, "linkId");
    const cJSON *ans = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(item, "answer"), 0);
    const cJSON *vi = cJSON_GetObjectItemCaseSensitive(ans, "valueInteger");
    const cJSON *vc = cJSON_GetObjectItemCaseSensitive(ans, "valueCoding");

    if (!link)
        return;
    if (cJSON_IsNumber(vi) && x->nscores < RECORD_RESPONSE_ITEMS_MAX) {
        x->scores[x->nscores].link = link;
        x->scores[x->nscores++].value = vi->valueint;
    }
    if (strcmp(link, LINK_PHQ9_ITEM9) == 0) {
        x->item9 = phq_ordinal(str_of(vc, "code"));
        x->item9_endorsed = x->item9 > 0 || item_says_endorsed(item);
    }
}

/* Fills x from root (pointers into root); NULL or why it cannot be kept. */
static const char *extract(const cJSON *root, int64_t received_ms, struct extracted *x)
{
    const cJSON *items, *item, *subject, *encounter;
    const char *authored;

    memset(x, 0, sizeof *x);
    x->item9 = -1;
    if (!cJSON_IsObject(root))
        return "not a JSON object";
    if (!str_of(root, "resourceType") || strcmp(str_of(root, "resourceType"),
                                                "QuestionnaireResponse") != 0)
        return "resourceType is not QuestionnaireResponse";
    x->id = str_of(root, "id");
    if (!key_ok(x->id))
        return "no valid id";
    subject = cJSON_GetObjectItemCaseSensitive(root, "subject");
    encounter = cJSON_GetObjectItemCaseSensitive(root, "encounter");
    x->visit = ref_id(encounter, "Encounter/");
    if (!x->visit)
        x->visit = ident_value(encounter, "urn:haven:visit");
    if (!x->visit)  /* kiosks before the encounter field sent the visit as the subject */
        x->visit = ident_value(subject, "urn:haven:visit");
    if (!key_ok(x->visit))
        return "no valid visit (encounter)";
    x->patient = ref_id(subject, "Patient/");
    if (!x->patient)
        x->patient = ident_value(subject, "urn:haven:patient");
    if (x->patient && !key_ok(x->patient))
        return "the patient key is not an id";
    x->questionnaire = str_of(root, "questionnaire");
    if (x->questionnaire && strlen(x->questionnaire) > 255)
        return "questionnaire is longer than 255 bytes";
    x->status = str_of(root, "status");
    if (!x->status || strlen(x->status) > 32)
        return "no status";
    authored = str_of(root, "authored");
    x->authored_ms = received_ms;
    if (authored && clock_parse_rfc3339(authored, &x->authored_ms) != 0)
        return "authored is not an RFC 3339 time";
    items = cJSON_GetObjectItemCaseSensitive(root, "item");
    if (items && !cJSON_IsArray(items))
        return "item is not an array";
    if (cJSON_GetArraySize(items) > RECORD_RESPONSE_ITEMS_MAX)
        return "more than 200 items";
    cJSON_ArrayForEach(item, items)
        take_item(x, item);
    return NULL;
}

static int insert_response(record *r, const struct extracted *x, const char *room,
                           const char *json, size_t len, int64_t received_ms)
{
    sqlite3_stmt *st = db_stmt(r->db,
        "INSERT OR IGNORE INTO responses(id, visit, room, questionnaire, status, authored_ms,"
        " received_ms, item9, item9_endorsed, fhir) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)");
    int rc;

    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, x->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, x->visit, -1, SQLITE_TRANSIENT);
    bind_text_or_null(st, 3, room);
    bind_text_or_null(st, 4, x->questionnaire);
    sqlite3_bind_text(st, 5, x->status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, x->authored_ms);
    sqlite3_bind_int64(st, 7, received_ms);
    if (x->item9 >= 0)
        sqlite3_bind_int(st, 8, x->item9);
    else
        sqlite3_bind_null(st, 8);
    sqlite3_bind_int(st, 9, x->item9_endorsed);
    sqlite3_bind_text(st, 10, json, (int)len, SQLITE_TRANSIENT);
    rc = db_run(r->db, st, "store the response");
    if (rc)
        return rc;
    if (sqlite3_changes(db_sqlite(r->db)) == 0)
        return RECORD_SEEN;
    st = db_stmt(r->db, "INSERT OR REPLACE INTO scores(response, link_id, value) VALUES(?1,?2,?3)");
    for (int i = 0; st && i < x->nscores; i++) {
        sqlite3_bind_text(st, 1, x->id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, x->scores[i].link, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 3, x->scores[i].value);
        if ((rc = db_run(r->db, st, "store a score")) != 0)
            return rc;
    }
    return st ? RECORD_NEW : HV_EDB;
}

int record_add_response(record *r, const char *room, const char *json, size_t len,
                        int64_t received_ms)
{
    const char *from = room && room[0] ? room : "?";
    struct extracted *x;
    const char *why;
    cJSON *root;
    int rc;

    if (len > HV_PAYLOAD_MAX) {
        log_warn("record: response from %s refused: %zu bytes (limit %d)", from, len,
                 HV_PAYLOAD_MAX);
        return HV_ETOOBIG;
    }
    root = cJSON_ParseWithLength(json, len);
    if (!root) {
        log_warn("record: response from %s refused: not JSON", from);
        return HV_EPARSE;
    }
    x = malloc(sizeof *x);
    if (!x) {
        cJSON_Delete(root);
        return HV_ENOMEM;
    }
    why = extract(root, received_ms, x);
    if (why) {
        log_warn("record: response from %s refused: %s", from, why);
        rc = HV_EINVAL;
        goto out;
    }
    if ((rc = db_begin(r->db)) != 0)
        goto out;
    rc = visit_upsert(r, x->visit, x->patient, room && room[0] ? room : NULL, x->authored_ms);
    if (rc == 0)
        rc = insert_response(r, x, room, json, len, received_ms);
    if (rc < 0) {
        db_rollback(r->db);
    } else if (db_commit(r->db) != 0) {
        rc = HV_EDB;
    } else if (rc == RECORD_SEEN) {
        log_info("record: response %s from %s again: already stored", x->id, from);
    }
out:
    free(x);
    cJSON_Delete(root);
    return rc;
}

static int64_t count_of(record *r, const char *sql);

/* ---- check-ins ------------------------------------------------------------------------- */

int record_add_checkin(record *r, const char *room, const char *json, size_t len,
                       int64_t received_ms)
{
    const char *from = room && room[0] ? room : "?";
    const cJSON *id, *feeling, *visit;
    sqlite3_stmt *st;
    cJSON *root;
    int rc;

    if (len > HV_PAYLOAD_MAX) {
        log_warn("record: check-in from %s refused: %zu bytes (limit %d)", from, len,
                 HV_PAYLOAD_MAX);
        return HV_ETOOBIG;
    }
    if (!room || !ids_valid(room)) {
        log_warn("record: check-in refused: the room is not an id");
        return HV_EINVAL;
    }
    root = cJSON_ParseWithLength(json, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        log_warn("record: check-in from %s refused: not a JSON object", from);
        return HV_EPARSE;
    }
    id = cJSON_GetObjectItemCaseSensitive(root, "id");
    feeling = cJSON_GetObjectItemCaseSensitive(root, "feeling");
    visit = cJSON_GetObjectItemCaseSensitive(root, "visit");
    if (!cJSON_IsString(id) || !key_ok(id->valuestring)) {
        cJSON_Delete(root);
        log_warn("record: check-in from %s refused: no valid id", from);
        return HV_EINVAL;
    }
    st = db_stmt(r->db, "INSERT OR IGNORE INTO checkins(id, room, feeling, received_ms, json,"
                        " visit) VALUES(?1,?2,?3,?4,?5,?6)");
    rc = HV_EDB;
    if (st) {
        sqlite3_bind_text(st, 1, id->valuestring, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, room, -1, SQLITE_TRANSIENT);
        if (cJSON_IsNumber(feeling) && feeling->valueint >= 1 && feeling->valueint <= 5)
            sqlite3_bind_int(st, 3, feeling->valueint);
        else
            sqlite3_bind_null(st, 3);
        sqlite3_bind_int64(st, 4, received_ms);
        sqlite3_bind_text(st, 5, json, (int)len, SQLITE_TRANSIENT);
        bind_text_or_null(st, 6, cJSON_IsString(visit) && key_ok(visit->valuestring)
                                     ? visit->valuestring : NULL);
        rc = db_run(r->db, st, "store the check-in");
        if (rc == 0)
            rc = sqlite3_changes(db_sqlite(r->db)) ? RECORD_NEW : RECORD_SEEN;
    }
    if (rc == RECORD_SEEN)
        log_info("record: check-in %s from %s again: already stored", id->valuestring, from);
    cJSON_Delete(root);
    return rc;
}

int64_t record_count_checkins(record *r)
{
    return count_of(r, "SELECT count(*) FROM checkins");
}

int record_add_refused(record *r, const char *room, const char *kind, const char *id,
                       const char *why, const char *json, size_t len, int64_t received_ms)
{
    sqlite3_stmt *st;
    int rc;

    if (len > HV_PAYLOAD_MAX || !key_ok(id) || !room || !ids_valid(room))
        return HV_EINVAL;
    st = db_stmt(r->db, "INSERT OR IGNORE INTO refused(id, kind, room, why, received_ms, json)"
                        " VALUES(?1,?2,?3,?4,?5,?6)");
    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, room, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, why, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, received_ms);
    sqlite3_bind_text(st, 6, json, (int)len, SQLITE_TRANSIENT);
    if ((rc = db_run(r->db, st, "keep a refused message")) != 0)
        return rc;
    return sqlite3_changes(db_sqlite(r->db)) ? RECORD_NEW : RECORD_SEEN;
}

int64_t record_count_refused(record *r)
{
    return count_of(r, "SELECT count(*) FROM refused");
}

/* ---- the course ------------------------------------------------------------------------ */

static int infusion_fill(record *r, struct record_infusion *inf)
{
    sqlite3_stmt *st = db_stmt(r->db,
        "SELECT status, item9, item9_endorsed,"
        "  (SELECT value FROM scores WHERE response = id AND link_id = '" LINK_PHQ9_TOTAL "'),"
        "  (SELECT value FROM scores WHERE response = id AND link_id = '" LINK_GAD7_TOTAL "')"
        " FROM responses WHERE visit = ?1 ORDER BY authored_ms, id");
    int rc;

    if (!st)
        return HV_EDB;
    inf->phq9 = inf->gad7 = inf->item9 = -1;
    sqlite3_bind_text(st, 1, inf->visit, -1, SQLITE_TRANSIENT);
    while ((rc = db_row(r->db, st, "read the visit's responses")) == 1) {
        bool completed = strcmp((const char *)sqlite3_column_text(st, 0), "completed") == 0;
        inf->responses++;
        if (sqlite3_column_type(st, 1) != SQLITE_NULL)
            inf->item9 = sqlite3_column_int(st, 1);
        inf->item9_endorsed |= sqlite3_column_int(st, 2) != 0;
        if (completed && sqlite3_column_type(st, 3) != SQLITE_NULL)
            inf->phq9 = sqlite3_column_int(st, 3);
        if (completed && sqlite3_column_type(st, 4) != SQLITE_NULL)
            inf->gad7 = sqlite3_column_int(st, 4);
    }
    db_reset(st);
    if (rc < 0 || !inf->item9_endorsed)
        return rc < 0 ? rc : 0;
    /* Who came: the first safety call raised in the visit's room while it lasted. */
    st = db_stmt(r->db,
        "SELECT a.who, a.ack_ms FROM safety_acks a JOIN visits v ON v.visit = ?1"
        " WHERE a.room = v.room AND a.raised_ms >= v.begun_ms"
        "   AND a.raised_ms <= COALESCE(v.ended_ms, v.begun_ms + 43200000)"
        " ORDER BY a.raised_ms LIMIT 1");
    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, inf->visit, -1, SQLITE_TRANSIENT);
    if ((rc = db_row(r->db, st, "read who acknowledged the visit's safety call")) == 1) {
        snprintf(inf->item9_ack_by, sizeof inf->item9_ack_by, "%s",
                 (const char *)sqlite3_column_text(st, 0));
        inf->item9_ack_ms = sqlite3_column_int64(st, 1);
    }
    db_reset(st);
    return rc < 0 ? rc : 0;
}

int record_safety_acknowledged(record *r, const char *call, const char *room, int64_t raised_ms,
                               const char *who, int64_t ack_ms)
{
    sqlite3_stmt *st;

    if (!key_ok(call) || !room || !room[0] || !who || !who[0] || strlen(who) >= RECORD_WHO_MAX)
        return HV_EINVAL;
    st = db_stmt(r->db, "INSERT OR IGNORE INTO safety_acks(call, raised_ms, room, who, ack_ms)"
                        " VALUES(?1,?2,?3,?4,?5)");
    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, call, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, raised_ms);
    sqlite3_bind_text(st, 3, room, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, who, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, ack_ms);
    return db_run(r->db, st, "store who acknowledged a safety call");
}

/* baseline and latest of one measure: the first and the last infusion that has it. */
static int measure_ends(const struct record_course *c, size_t off, int *baseline)
{
    int latest = -1;

    *baseline = -1;
    for (int i = 0; i < c->n; i++) {
        int v = *(const int *)((const char *)&c->inf[i] + off);
        if (v < 0)
            continue;
        if (*baseline < 0)
            *baseline = v;
        latest = v;
    }
    return latest;
}

static void course_rules(struct record_course *c, int64_t now, int dropout_days)
{
    int phq_count = 0;

    c->latest_phq9 = measure_ends(c, offsetof(struct record_infusion, phq9), &c->baseline_phq9);
    c->latest_gad7 = measure_ends(c, offsetof(struct record_infusion, gad7), &c->baseline_gad7);
    for (int i = 0; i < c->n; i++) {
        phq_count += c->inf[i].phq9 >= 0;
        c->item9_endorsements += c->inf[i].item9_endorsed;
        c->without_questionnaire += c->inf[i].responses == 0;
    }
    if (c->baseline_phq9 > 0)
        c->phq9_change_pct = (c->latest_phq9 - c->baseline_phq9) * 100 / c->baseline_phq9;
    if (phq_count >= 2) {
        c->response = c->baseline_phq9 > 0 && c->latest_phq9 * 2 <= c->baseline_phq9;
        c->remission = c->latest_phq9 < 5;
    }
    c->dropped_out = dropout_days > 0 && c->n > 0 &&
                     now - c->last_visit_ms > (int64_t)dropout_days * 86400000;
}

int record_course(record *r, const char *patient, int64_t now, int dropout_days,
                  struct record_course *out)
{
    sqlite3_stmt *st;
    int rc;

    memset(out, 0, sizeof *out);
    if (!key_ok(patient))
        return HV_EINVAL;
    snprintf(out->patient, sizeof out->patient, "%s", patient);
    st = db_stmt(r->db, "SELECT visit, begun_ms FROM visits WHERE patient = ?1"
                        " ORDER BY begun_ms, visit LIMIT ?2");
    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, patient, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, RECORD_INFUSIONS_MAX + 1);   /* one more says "truncated" */
    while ((rc = db_row(r->db, st, "read the patient's visits")) == 1) {
        struct record_infusion *inf;
        if (out->n == RECORD_INFUSIONS_MAX) {
            out->truncated = true;
            continue;
        }
        inf = &out->inf[out->n++];
        snprintf(inf->visit, sizeof inf->visit, "%s", (const char *)sqlite3_column_text(st, 0));
        inf->begun_ms = sqlite3_column_int64(st, 1);
        out->last_visit_ms = inf->begun_ms;
    }
    db_reset(st);
    if (rc < 0)
        return rc;
    if (out->n == 0)
        return HV_ENOTFOUND;
    for (int i = 0; i < out->n; i++)
        if ((rc = infusion_fill(r, &out->inf[i])) != 0)
            return rc;
    course_rules(out, now, dropout_days);
    return 0;
}

static int64_t count_of(record *r, const char *sql)
{
    int64_t n = 0;
    sqlite3_stmt *st = db_stmt(r->db, sql);

    return st && db_int(r->db, st, "count", &n) == 0 ? n : -1;
}

int64_t record_count_responses(record *r)
{
    return count_of(r, "SELECT count(*) FROM responses");
}

int64_t record_count_visits(record *r)
{
    return count_of(r, "SELECT count(*) FROM visits");
}

int record_each_response(record *r, const char *patient,
                         int (*fn)(void *ctx, const char *id, const char *json), void *ctx)
{
    sqlite3_stmt *st;
    int rc;

    if (!key_ok(patient))
        return HV_EINVAL;
    st = db_stmt(r->db, "SELECT r.id, r.fhir FROM responses r JOIN visits v ON v.visit = r.visit"
                        " WHERE v.patient = ?1 ORDER BY v.begun_ms, r.authored_ms, r.id");
    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, patient, -1, SQLITE_TRANSIENT);
    while ((rc = db_row(r->db, st, "read the patient's responses")) == 1) {
        if (fn(ctx, (const char *)sqlite3_column_text(st, 0),
               (const char *)sqlite3_column_text(st, 1)) != 0) {
            rc = 0;
            break;
        }
    }
    db_reset(st);
    return rc < 0 ? rc : 0;
}

/* ---- the patients list and the FHIR read tokens ---------------------------------------- */

int record_each_patient(record *r, int limit,
                        int (*fn)(void *ctx, const char *patient, int64_t last_ms, int visits),
                        void *ctx)
{
    sqlite3_stmt *st = db_stmt(r->db,
        "SELECT patient, max(begun_ms) AS last, count(*) FROM visits WHERE patient IS NOT NULL"
        " GROUP BY patient ORDER BY last DESC, patient LIMIT ?1");
    int rc;

    if (!st)
        return HV_EDB;
    sqlite3_bind_int(st, 1, limit);
    while ((rc = db_row(r->db, st, "read the patients")) == 1) {
        if (fn(ctx, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
               sqlite3_column_int(st, 2)) != 0) {
            rc = 0;
            break;
        }
    }
    db_reset(st);
    return rc < 0 ? rc : 0;
}

/* The token table, made on first use (the store's schema version stays 1). */
static int tokens_table(record *r)
{
    static const char sql[] =
        "CREATE TABLE IF NOT EXISTS fhir_tokens(hash TEXT PRIMARY KEY, label TEXT NOT NULL,"
        " issued_by TEXT NOT NULL, issued_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,"
        " revoked_ms INTEGER)";
    char *msg = NULL;

    if (sqlite3_exec(db_sqlite(r->db), sql, NULL, NULL, &msg) != SQLITE_OK) {
        log_error("record: cannot make the token table: %s", msg ? msg : "?");
        sqlite3_free(msg);
        return HV_EDB;
    }
    return 0;
}

int record_token_add(record *r, const char *hash, const char *label, const char *by,
                     int64_t now, int64_t expires_ms)
{
    sqlite3_stmt *st;
    int rc;

    if (!hash || strlen(hash) >= 128 || !label || strlen(label) >= RECORD_TOKEN_LABEL_MAX ||
        !by)
        return HV_EINVAL;
    if ((rc = tokens_table(r)) != 0)
        return rc;
    st = db_stmt(r->db, "INSERT INTO fhir_tokens(hash, label, issued_by, issued_ms, expires_ms)"
                        " VALUES(?1, ?2, ?3, ?4, ?5)");
    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, label, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, by, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, expires_ms);
    return db_run(r->db, st, "store a FHIR token");
}

int record_token_check(record *r, const char *hash, int64_t now)
{
    sqlite3_stmt *st;
    int64_t n = 0;

    if (!hash || tokens_table(r) != 0)
        return HV_ENOTFOUND;
    st = db_stmt(r->db, "SELECT count(*) FROM fhir_tokens WHERE hash = ?1 AND revoked_ms IS NULL"
                        " AND expires_ms > ?2");
    if (!st)
        return HV_ENOTFOUND;
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now);
    return db_int(r->db, st, "check a FHIR token", &n) == 0 && n > 0 ? 0 : HV_ENOTFOUND;
}

int record_token_revoke(record *r, const char *label, int64_t now)
{
    sqlite3_stmt *st;
    int rc;

    if (!label || tokens_table(r) != 0)
        return HV_ENOTFOUND;
    st = db_stmt(r->db, "UPDATE fhir_tokens SET revoked_ms = ?2 WHERE label = ?1"
                        " AND revoked_ms IS NULL");
    if (!st)
        return HV_ENOTFOUND;
    sqlite3_bind_text(st, 1, label, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now);
    rc = db_run(r->db, st, "revoke a FHIR token");
    if (rc)
        return rc;
    return sqlite3_changes(db_sqlite(r->db)) > 0 ? 0 : HV_ENOTFOUND;
}

int record_each_token(record *r, int limit,
                      int (*fn)(void *ctx, const char *label, const char *by, int64_t issued_ms,
                                int64_t expires_ms, int64_t revoked_ms),
                      void *ctx)
{
    sqlite3_stmt *st;
    int rc;

    if ((rc = tokens_table(r)) != 0)
        return rc;
    st = db_stmt(r->db, "SELECT label, issued_by, issued_ms, expires_ms, coalesce(revoked_ms, 0)"
                        " FROM fhir_tokens ORDER BY issued_ms DESC, label LIMIT ?1");
    if (!st)
        return HV_EDB;
    sqlite3_bind_int(st, 1, limit);
    while ((rc = db_row(r->db, st, "read the FHIR tokens")) == 1) {
        if (fn(ctx, (const char *)sqlite3_column_text(st, 0),
               (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2),
               sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4)) != 0) {
            rc = 0;
            break;
        }
    }
    db_reset(st);
    return rc < 0 ? rc : 0;
}
