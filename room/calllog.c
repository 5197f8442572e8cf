/*
 * calllog.c - the SQLite call log: schema, writes, restore and report queries.
 * The file, its statements and transactions are common/db.h's.
 */
#include "calllog.h"
#include "db.h"
#include "err.h"
#include "log.h"

#include <math.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct calllog {
    struct db *db;
    sqlite3 *sql;            /* db's connection (checkpoints, one-shot report queries) */
    bool dirty;              /* written since the last checkpoint */
    int passive;             /* passive checkpoints since the last truncating one */
};

static const char pragmas[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    /* Checkpoints fsync; the controller runs them from its loop (calllog_checkpoint),
     * after the pages have gone, never inside the commit that opens a call. */
    "PRAGMA wal_autocheckpoint=0;"
    /* After each checkpoint that resets it, the WAL is cut back to 1 MiB. */
    "PRAGMA journal_size_limit=1048576;";

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS calls("
    "  id TEXT PRIMARY KEY, room TEXT NOT NULL, label TEXT NOT NULL,"
    "  reason TEXT NOT NULL, priority TEXT NOT NULL, state TEXT NOT NULL,"
    "  detail TEXT NOT NULL DEFAULT '',"
    "  raised_ms INTEGER NOT NULL, acknowledged_ms INTEGER, ack_by TEXT,"
    "  cleared_ms INTEGER, cleared_by TEXT, clear_source TEXT,"
    "  escalation INTEGER NOT NULL DEFAULT 0, step INTEGER NOT NULL DEFAULT 0,"
    "  base_ms INTEGER NOT NULL, timer_ms INTEGER NOT NULL, grp TEXT NOT NULL DEFAULT '',"
    "  ack_via TEXT, cleared_via TEXT);"
    "CREATE INDEX IF NOT EXISTS calls_open ON calls(room) WHERE cleared_ms IS NULL;"
    "CREATE INDEX IF NOT EXISTS calls_raised ON calls(raised_ms);"
    "CREATE TABLE IF NOT EXISTS aliases(alias TEXT PRIMARY KEY, call_id TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS events("
    "  seq INTEGER PRIMARY KEY, call_id TEXT NOT NULL, ts_ms INTEGER NOT NULL,"
    "  kind TEXT NOT NULL, grp TEXT, who TEXT, escalation INTEGER,"
    "  delivered INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS events_call ON events(call_id);"
    "CREATE TABLE IF NOT EXISTS rooms("
    "  room TEXT PRIMARY KEY, online INTEGER, phase TEXT, ts_ms INTEGER);"
    /* Small facts the controller keeps across restarts (issue 13: the station outage
     * paged).  New in a version-2 log too: created if missing, no migration needed. */
    "CREATE TABLE IF NOT EXISTS marks(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    /* Every concern raised on a call (issue 14), the first being the one that opened
     * it; seq keeps the order they were raised in. */
    "CREATE TABLE IF NOT EXISTS concerns("
    "  seq INTEGER PRIMARY KEY, call_id TEXT NOT NULL, ts_ms INTEGER NOT NULL,"
    "  reason TEXT NOT NULL, priority TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS concerns_call ON concerns(call_id);";

/*
 * Version 2 (issue 12): the login an acknowledgement or clear came through
 * (ack_via, cleared_via).  A version-1 log gets the two columns; its calls
 * keep NULL there.
 */
static const char migrate_v2[] =
    "ALTER TABLE calls ADD COLUMN ack_via TEXT;"
    "ALTER TABLE calls ADD COLUMN cleared_via TEXT;";
/*
 * Version 3 (issue 14): the concerns table (created by the schema above).  A
 * version-2 call knew one reason and detail, its last: each call gets that as
 * its one concern, so a restored call shows what it showed before.
 */
static const char migrate_v3[] =
    "INSERT INTO concerns(call_id, ts_ms, reason, priority, detail)"
    " SELECT id, raised_ms, reason, priority, detail FROM calls"
    " WHERE id NOT IN (SELECT call_id FROM concerns) ORDER BY raised_ms;";
#define CALLLOG_VERSION 3

static const char *const call_columns =
    "id, room, label, reason, priority, state, detail, raised_ms, acknowledged_ms, ack_by,"
    " escalation, step, base_ms, timer_ms, grp, ack_via";

#define SQL_INSERT "INSERT INTO calls(id, room, label, reason, priority, state, detail," \
    " raised_ms, acknowledged_ms, ack_by, escalation, step, base_ms, timer_ms, grp, ack_via)" \
    " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)"
#define SQL_UPDATE "UPDATE calls SET reason=?4, priority=?5, state=?6, detail=?7," \
    " acknowledged_ms=?9, ack_by=?10, escalation=?11, step=?12, base_ms=?13," \
    " timer_ms=?14, grp=?15, ack_via=?16 WHERE id=?1"
#define SQL_CLEAR "UPDATE calls SET cleared_ms=?2, cleared_by=?3, clear_source=?4," \
    " cleared_via=?5 WHERE id=?1 AND cleared_ms IS NULL"
#define SQL_EVENT "INSERT INTO events(call_id, ts_ms, kind, grp, who, escalation)" \
    " VALUES(?1,?2,?3,?4,?5,?6)"
#define SQL_DELIVERED "UPDATE events SET delivered=1 WHERE seq=?1"
#define SQL_ALIAS "INSERT OR IGNORE INTO aliases(alias, call_id) VALUES(?1,?2)"
#define SQL_KNOWN "SELECT id FROM calls WHERE id=?1 UNION ALL" \
    " SELECT call_id FROM aliases WHERE alias=?1 LIMIT 1"
#define SQL_SET_ROOM "INSERT INTO rooms(room, online, phase, ts_ms) VALUES(?1,?2,?3,?4)" \
    " ON CONFLICT(room) DO UPDATE SET online=?2, phase=coalesce(?3, phase), ts_ms=?4"
#define SQL_GET_ROOM "SELECT online, phase FROM rooms WHERE room=?1"
#define SQL_SET_MARK "INSERT INTO marks(key, value) VALUES(?1,?2)" \
    " ON CONFLICT(key) DO UPDATE SET value=?2"
#define SQL_GET_MARK "SELECT value FROM marks WHERE key=?1"
#define SQL_CONCERN "INSERT INTO concerns(call_id, ts_ms, reason, priority, detail)" \
    " VALUES(?1,?2,?3,?4,?5)"

/* A one-shot statement (the walks and reports), finalized by the caller. */
static int prepare(calllog *log, sqlite3_stmt **st, const char *sql)
{
    if (sqlite3_prepare_v2(log->sql, sql, -1, st, NULL) == SQLITE_OK)
        return 0;
    log_error("call log %s: cannot prepare statement: %s", db_path(log->db),
              sqlite3_errmsg(log->sql));
    return HV_EDB;
}

/* Brings a log written by an older Haven up to CALLLOG_VERSION (db_schema.migrate). */
static int migrate(struct db *db, int from)
{
    sqlite3_stmt *st = NULL;
    int has_via = sqlite3_prepare_v2(db_sqlite(db), "SELECT ack_via, cleared_via FROM calls LIMIT 0",
                                     -1, &st, NULL) == SQLITE_OK;

    /* Version 1 logs did not all say so: the columns tell. */
    sqlite3_finalize(st);
    if (!has_via) {
        log_info("call log %s: adding who-acknowledged-via columns (version 2)", db_path(db));
        if (db_exec(db, migrate_v2) != 0)
            return HV_EDB;
    }
    if (from >= 3)
        return 0;
    if (from > 0 || !has_via)  /* not a new file */
        log_info("call log %s: each call's reason and detail become its first concern "
                 "(version 3)", db_path(db));
    return db_exec(db, migrate_v3);
}

static const struct db_schema calllog_schema = {
    .name = "call log",
    .pragmas = pragmas,
    .create = schema,
    .version = CALLLOG_VERSION,
    .migrate = migrate,
};

static calllog *calllog_on(struct db *db)
{
    calllog *log;

    if (!db)
        return NULL;
    log = calloc(1, sizeof *log);
    if (!log) {
        log_error("call log %s: out of memory", db_path(db));
        db_close(db);
        return NULL;
    }
    log->db = db;
    log->sql = db_sqlite(db);
    return log;
}

calllog *calllog_open(const char *path)
{
    return calllog_on(db_open(path, &calllog_schema));
}

calllog *calllog_open_reader(const char *path)
{
    return calllog_on(db_open_reader(path, "call log"));
}

void calllog_close(calllog *log)
{
    if (!log)
        return;
    db_close(log->db);
    free(log);
}

struct db *calllog_db(calllog *log)
{
    return log->db;
}

/* Runs the cached statement st (bound, no rows); a write, so the next checkpoint has work. */
static int write_done(calllog *log, sqlite3_stmt *st, const char *what)
{
    if (db_run(log->db, st, what) != 0)
        return HV_EDB;
    log->dirty = true;
    return 0;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s && s[0])
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* Binds the 16 columns of a call in the order of call_columns. */
static void bind_call(sqlite3_stmt *st, const struct logged_call *c)
{
    const struct contract_call *w = &c->w;

    sqlite3_bind_text(st, 1, w->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, w->room, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, w->label, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, reason_name(w->reason), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, priority_name(w->priority), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, call_state_name(w->state), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, w->detail, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 8, w->raised_ms);
    if (w->acknowledged_ms > 0)
        sqlite3_bind_int64(st, 9, w->acknowledged_ms);
    else
        sqlite3_bind_null(st, 9);
    bind_text(st, 10, w->by);
    sqlite3_bind_int(st, 11, w->escalation);
    sqlite3_bind_int(st, 12, c->step);
    sqlite3_bind_int64(st, 13, c->base_ms);
    sqlite3_bind_int64(st, 14, c->timer_ms);
    sqlite3_bind_text(st, 15, c->group, -1, SQLITE_TRANSIENT);
    bind_text(st, 16, w->via);
}

/* The call and its "raised" event: one transaction (or part of the caller's). */
int calllog_insert(calllog *log, const struct logged_call *c)
{
    sqlite3_stmt *st = db_stmt(log->db, SQL_INSERT);

    /* Nothing begun yet: a rollback here would end the caller's transaction. */
    if (!st)
        return HV_EDB;
    if (db_begin(log->db) != 0)
        goto fail;
    bind_call(st, c);
    if (write_done(log, st, "writing a new call") != 0 ||
        calllog_event(log, c->w.id, c->w.raised_ms, "raised", NULL, NULL, 0) <= 0)
        goto fail;
    return db_commit(log->db);
fail:
    db_rollback(log->db);   /* db_begin counts even when it fails: this matches it */
    return HV_EDB;
}

int calllog_update(calllog *log, const struct logged_call *c)
{
    sqlite3_stmt *st = db_stmt(log->db, SQL_UPDATE);

    if (!st)
        return HV_EDB;
    bind_call(st, c);
    return write_done(log, st, "writing a call");
}

/* The clear and its "cleared" event: one transaction (or part of the caller's). */
int calllog_clear(calllog *log, const char *id, int64_t ms, const char *by, const char *via,
                  const char *source)
{
    sqlite3_stmt *st = db_stmt(log->db, SQL_CLEAR);

    if (!st)
        return HV_EDB;
    if (db_begin(log->db) != 0)
        goto fail;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, ms);
    bind_text(st, 3, by);
    sqlite3_bind_text(st, 4, source, -1, SQLITE_TRANSIENT);
    bind_text(st, 5, via);
    if (write_done(log, st, "clearing a call") != 0 ||
        calllog_event(log, id, ms, "cleared", NULL, by, 0) <= 0)
        goto fail;
    return db_commit(log->db);
fail:
    db_rollback(log->db);   /* db_begin counts even when it fails: this matches it */
    return HV_EDB;
}

int64_t calllog_event(calllog *log, const char *call_id, int64_t ms, const char *kind,
                      const char *group, const char *who, int escalation)
{
    sqlite3_stmt *st = db_stmt(log->db, SQL_EVENT);

    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, call_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, ms);
    sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
    bind_text(st, 4, group);
    bind_text(st, 5, who);
    sqlite3_bind_int(st, 6, escalation);
    if (write_done(log, st, "writing an event"))
        return HV_EDB;
    return db_last_rowid(log->db);
}

int calllog_delivered(calllog *log, int64_t seq)
{
    sqlite3_stmt *st = db_stmt(log->db, SQL_DELIVERED);

    if (!st)
        return HV_EDB;
    sqlite3_bind_int64(st, 1, seq);
    return write_done(log, st, "marking a page delivered");
}

int calllog_add_alias(calllog *log, const char *alias, const char *call_id)
{
    sqlite3_stmt *st = db_stmt(log->db, SQL_ALIAS);

    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, alias, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, call_id, -1, SQLITE_TRANSIENT);
    return write_done(log, st, "writing an alias");
}

int calllog_add_concern(calllog *log, const char *call_id, const struct contract_concern *k)
{
    sqlite3_stmt *st = db_stmt(log->db, SQL_CONCERN);

    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, call_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, k->raised_ms);
    sqlite3_bind_text(st, 3, reason_name(k->reason), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, priority_name(k->priority), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, k->detail, -1, SQLITE_TRANSIENT);
    return write_done(log, st, "writing a concern");
}

int calllog_known(calllog *log, const char *id, char primary[HV_ID_MAX])
{
    sqlite3_stmt *st = db_stmt(log->db, SQL_KNOWN);
    int rc;

    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    rc = db_row(log->db, st, "looking a call up");
    if (rc == 1) {
        if (primary)
            snprintf(primary, HV_ID_MAX, "%s", (const char *)sqlite3_column_text(st, 0));
        db_reset(st);
    }
    return rc;
}

/* Copies column i as text into out (outlen bytes); NULL gives "". */
static void col_text(sqlite3_stmt *st, int i, char *out, size_t outlen)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, outlen, "%s", t ? (const char *)t : "");
}

static void row_to_call(sqlite3_stmt *st, struct logged_call *c)
{
    char name[32];
    int v;

    memset(c, 0, sizeof *c);
    col_text(st, 0, c->w.id, sizeof c->w.id);
    col_text(st, 1, c->w.room, sizeof c->w.room);
    col_text(st, 2, c->w.label, sizeof c->w.label);
    col_text(st, 3, name, sizeof name);
    v = reason_from_name(name);
    c->w.reason = v < 0 ? REASON_HELP : (enum call_reason)v;
    col_text(st, 4, name, sizeof name);
    v = priority_from_name(name);
    c->w.priority = v < 0 ? PRIO_URGENT : (enum priority)v;
    col_text(st, 5, name, sizeof name);
    c->w.state = strcmp(name, "acknowledged") == 0 ? CALL_ACKNOWLEDGED : CALL_OPEN;
    col_text(st, 6, c->w.detail, sizeof c->w.detail);
    c->w.raised_ms = sqlite3_column_int64(st, 7);
    c->w.acknowledged_ms = sqlite3_column_int64(st, 8);
    col_text(st, 9, c->w.by, sizeof c->w.by);
    c->w.escalation = sqlite3_column_int(st, 10);
    c->step = sqlite3_column_int(st, 11);
    c->base_ms = sqlite3_column_int64(st, 12);
    c->timer_ms = sqlite3_column_int64(st, 13);
    col_text(st, 14, c->group, sizeof c->group);
    col_text(st, 15, c->w.via, sizeof c->w.via);
}

int calllog_each_open(calllog *log, int (*fn)(void *ud, const struct logged_call *c), void *ud)
{
    char sql[512];
    sqlite3_stmt *st;
    struct logged_call c;
    int rc;

    snprintf(sql, sizeof sql, "SELECT %s FROM calls WHERE cleared_ms IS NULL ORDER BY raised_ms",
             call_columns);
    if (prepare(log, &st, sql))
        return HV_EDB;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        row_to_call(st, &c);
        if (fn(ud, &c))
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : HV_EDB;
}

int calllog_each_alias(calllog *log, const char *call_id,
                       void (*fn)(void *ud, const char *alias), void *ud)
{
    sqlite3_stmt *st;
    int rc;

    if (prepare(log, &st, "SELECT alias FROM aliases WHERE call_id=?1"))
        return HV_EDB;
    sqlite3_bind_text(st, 1, call_id, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(ud, (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : HV_EDB;
}

int calllog_each_concern(calllog *log, const char *call_id,
                         void (*fn)(void *ud, const struct contract_concern *k), void *ud)
{
    sqlite3_stmt *st;
    struct contract_concern k;
    char name[32];
    int rc, v;

    if (prepare(log, &st, "SELECT ts_ms, reason, priority, detail FROM concerns"
                          " WHERE call_id=?1 ORDER BY seq"))
        return HV_EDB;
    sqlite3_bind_text(st, 1, call_id, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&k, 0, sizeof k);
        k.raised_ms = sqlite3_column_int64(st, 0);
        col_text(st, 1, name, sizeof name);
        v = reason_from_name(name);
        k.reason = v < 0 ? REASON_HELP : (enum call_reason)v;
        col_text(st, 2, name, sizeof name);
        v = priority_from_name(name);
        k.priority = v < 0 ? PRIO_URGENT : (enum priority)v;
        col_text(st, 3, k.detail, sizeof k.detail);
        fn(ud, &k);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : HV_EDB;
}

int calllog_each_undelivered(calllog *log, const char *call_id,
                             void (*fn)(void *ud, int64_t seq, const char *group), void *ud)
{
    sqlite3_stmt *st;
    int rc;

    if (prepare(log, &st, "SELECT seq, grp FROM events WHERE call_id=?1 AND delivered=0"
                          " AND grp IS NOT NULL ORDER BY seq"))
        return HV_EDB;
    sqlite3_bind_text(st, 1, call_id, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(ud, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : HV_EDB;
}

int calllog_set_room(calllog *log, const char *room, int online, int phase, int64_t ms)
{
    sqlite3_stmt *st = db_stmt(log->db, SQL_SET_ROOM);

    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, online);
    if (phase >= 0)
        sqlite3_bind_text(st, 3, phase_name((enum phase)phase), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, ms);
    return write_done(log, st, "writing a room's kiosk");
}

int calllog_get_room(calllog *log, const char *room, int *online, int *phase)
{
    sqlite3_stmt *st = db_stmt(log->db, SQL_GET_ROOM);
    int rc;

    *online = *phase = -1;
    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
    rc = db_row(log->db, st, "reading a room's kiosk");
    if (rc == 1) {
        if (sqlite3_column_type(st, 0) != SQLITE_NULL)
            *online = sqlite3_column_int(st, 0);
        if (sqlite3_column_text(st, 1))
            *phase = phase_from_name((const char *)sqlite3_column_text(st, 1));
        db_reset(st);
    }
    return rc < 0 ? HV_EDB : 0;
}

int calllog_set_mark(calllog *log, const char *key, int64_t value)
{
    sqlite3_stmt *st = db_stmt(log->db, SQL_SET_MARK);

    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, value);
    return write_done(log, st, "writing a mark");
}

int calllog_get_mark(calllog *log, const char *key, int64_t *value)
{
    sqlite3_stmt *st = db_stmt(log->db, SQL_GET_MARK);

    *value = 0;
    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    return db_int(log->db, st, "reading a mark", value);
}

int calllog_begin(calllog *log) { return db_begin(log->db); }
int calllog_commit(calllog *log) { return db_commit(log->db); }
int calllog_rollback(calllog *log) { return db_rollback(log->db); }

void calllog_checkpoint(calllog *log)
{
    int rc, mode = SQLITE_CHECKPOINT_PASSIVE;

    if (!log->dirty)
        return;
    /* Every CALLLOG_TRUNCATE_EVERY-th: TRUNCATE, which empties the WAL file, but
     * never waits on a reader (busy timeout 0 for it): a busy one is tried next time. */
    if (++log->passive >= CALLLOG_TRUNCATE_EVERY) {
        mode = SQLITE_CHECKPOINT_TRUNCATE;
        sqlite3_busy_timeout(log->sql, 0);
    }
    rc = sqlite3_wal_checkpoint_v2(log->sql, NULL, mode, NULL, NULL);
    if (mode == SQLITE_CHECKPOINT_TRUNCATE) {
        sqlite3_busy_timeout(log->sql, 2000);
        if (rc == SQLITE_OK)
            log->passive = 0;
    }
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        log_error("call log: checkpoint failed: %s", sqlite3_errmsg(log->sql));
    log->dirty = false;
}

/* ---- report ---------------------------------------------------------------- */

double percentile_sorted(const double *sorted, int n, double q)
{
    int rank;

    if (n <= 0)
        return -1;
    rank = (int)ceil(q * n);
    if (rank < 1)
        rank = 1;
    return sorted[rank > n ? n - 1 : rank - 1];
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Fills the percentiles of row from its n response times (sorted here). */
static void finish_row(struct report_row *row, double *times, int n)
{
    if (n > 1)  /* times is NULL until the first acknowledged call */
        qsort(times, (size_t)n, sizeof *times, cmp_double);
    row->p50_s = percentile_sorted(times, n, 0.50);
    row->p90_s = percentile_sorted(times, n, 0.90);
    row->max_s = n ? times[n - 1] : -1;
}

int calllog_report(calllog *log, int64_t since_ms, struct report_row **rows)
{
    sqlite3_stmt *st;
    struct report_row *out = NULL, *row = NULL;
    double *times = NULL;
    int nrows = 0, ntimes = 0, cap_rows = 0, cap_times = 0, rc;

    *rows = NULL;
    if (prepare(log, &st, "SELECT room, priority, acknowledged_ms - raised_ms FROM calls"
                          " WHERE raised_ms >= ?1 ORDER BY room, raised_ms"))
        return HV_EDB;
    sqlite3_bind_int64(st, 1, since_ms);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *room = (const char *)sqlite3_column_text(st, 0);
        if (!row || strcmp(row->room, room) != 0) {
            if (row)
                finish_row(row, times, ntimes);
            if (nrows == cap_rows) {
                cap_rows = cap_rows ? cap_rows * 2 : 16;
                struct report_row *grown = realloc(out, (size_t)cap_rows * sizeof *out);
                if (!grown)
                    goto fail;
                out = grown;
            }
            row = &out[nrows++];
            memset(row, 0, sizeof *row);
            snprintf(row->room, sizeof row->room, "%s", room);
            ntimes = 0;
        }
        row->calls++;
        if (strcmp((const char *)sqlite3_column_text(st, 1), "urgent") == 0)
            row->urgent++;
        if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
            if (ntimes == cap_times) {
                cap_times = cap_times ? cap_times * 2 : 64;
                double *grown = realloc(times, (size_t)cap_times * sizeof *times);
                if (!grown)
                    goto fail;
                times = grown;
            }
            times[ntimes++] = sqlite3_column_int64(st, 2) / 1000.0;
            row->acknowledged++;
        }
    }
    if (rc != SQLITE_DONE)
        goto fail;
    if (row)
        finish_row(row, times, ntimes);
    sqlite3_finalize(st);
    free(times);
    *rows = out;
    return nrows;
fail:
    log_error("call log: report failed: %s", sqlite3_errmsg(log->sql));
    sqlite3_finalize(st);
    free(times);
    free(out);
    return HV_EDB;
}

/* ---- the response-time report by priority and shift (issue 13) ---- */

/* A growable list of seconds. */
struct times {
    double *v;
    int n, cap;
};

static int times_add(struct times *t, double s)
{
    if (t->n == t->cap) {
        int cap = t->cap ? t->cap * 2 : 64;
        double *grown = realloc(t->v, (size_t)cap * sizeof *grown);
        if (!grown)
            return HV_ENOMEM;
        t->v = grown;
        t->cap = cap;
    }
    t->v[t->n++] = s;
    return 0;
}

/* p50, p90 and max of t (sorted here); -1 each when empty. */
static void times_finish(struct times *t, double *p50, double *p90, double *max)
{
    if (t->n > 1)
        qsort(t->v, (size_t)t->n, sizeof *t->v, cmp_double);
    *p50 = percentile_sorted(t->v, t->n, 0.50);
    *p90 = percentile_sorted(t->v, t->n, 0.90);
    *max = t->n ? t->v[t->n - 1] : -1;
}

/* One shift of one room and priority being added up. */
struct bucket {
    struct report_cell cell;
    struct times ack, clear;
};

/* True if ms, in local time, falls in the night shift of q. */
static bool is_night(const struct report_query *q, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    int m;

    if (!localtime_r(&t, &tm))
        return false;
    m = tm.tm_hour * 60 + tm.tm_min;
    if (q->day_starts_min < q->night_starts_min)
        return !(m >= q->day_starts_min && m < q->night_starts_min);
    return m >= q->night_starts_min && m < q->day_starts_min;
}

/* Appends the buckets of the room and priority just read that have calls; resets them. */
static int flush_buckets(struct bucket b[2], struct report_cell **out, int *n, int *cap)
{
    for (int s = 0; s < 2; s++) {
        struct report_cell *c = &b[s].cell;
        if (c->calls > 0) {
            if (*n == *cap) {
                int grown_cap = *cap ? *cap * 2 : 32;
                struct report_cell *grown = realloc(*out, (size_t)grown_cap * sizeof *grown);
                if (!grown)
                    return HV_ENOMEM;
                *out = grown;
                *cap = grown_cap;
            }
            times_finish(&b[s].ack, &c->ack_p50_s, &c->ack_p90_s, &c->ack_max_s);
            times_finish(&b[s].clear, &c->clear_p50_s, &c->clear_p90_s, &c->clear_max_s);
            (*out)[(*n)++] = *c;
        }
        memset(&b[s].cell, 0, sizeof b[s].cell);
        b[s].ack.n = b[s].clear.n = 0;
    }
    return 0;
}

/* Adds one call to its bucket: ack_ms, clear_ms after raised, -1 when not yet. */
static int bucket_add(struct bucket *b, const struct report_query *q, int64_t ack_ms,
                      int64_t clear_ms)
{
    struct report_cell *c = &b->cell;

    c->calls++;
    if (ack_ms >= 0) {
        c->acknowledged++;
        c->within += ack_ms <= (int64_t)q->target_s[c->priority] * 1000;
        if (times_add(&b->ack, ack_ms / 1000.0))
            return HV_ENOMEM;
    }
    if (clear_ms >= 0) {
        c->cleared++;
        if (times_add(&b->clear, clear_ms / 1000.0))
            return HV_ENOMEM;
    }
    return 0;
}

/* A duration column: -1 when NULL (not yet), else at least 0 (a wall clock that stepped
 * back between raise and ack must not give a negative response time). */
static int64_t column_ms_or_none(sqlite3_stmt *st, int col)
{
    int64_t v;

    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return -1;
    v = sqlite3_column_int64(st, col);
    return v < 0 ? 0 : v;
}

int calllog_report_shifts(calllog *log, const struct report_query *q,
                          struct report_cell **cells)
{
    sqlite3_stmt *st;
    struct bucket b[2];
    struct report_cell *out = NULL;
    int n = 0, cap = 0, rc = 0, step;

    *cells = NULL;
    memset(b, 0, sizeof b);
    if (prepare(log, &st, "SELECT room, priority, raised_ms, acknowledged_ms - raised_ms,"
                          " cleared_ms - raised_ms FROM calls"
                          " WHERE raised_ms >= ?1 AND raised_ms < ?2 ORDER BY room,"
                          " CASE priority WHEN 'urgent' THEN 0 WHEN 'assist' THEN 1 ELSE 2 END"))
        return HV_EDB;
    sqlite3_bind_int64(st, 1, q->since_ms);
    sqlite3_bind_int64(st, 2, q->until_ms);
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *room = (const char *)sqlite3_column_text(st, 0);
        int p = priority_from_name((const char *)sqlite3_column_text(st, 1));
        bool night = is_night(q, sqlite3_column_int64(st, 2));
        int64_t ack = column_ms_or_none(st, 3), clr = column_ms_or_none(st, 4);

        if (p < 0 || !room)
            continue;   /* not a row this Haven wrote */
        if ((b[0].cell.calls || b[1].cell.calls) &&
            (strcmp(b[0].cell.room, room) != 0 || (int)b[0].cell.priority != p))
            rc = flush_buckets(b, &out, &n, &cap);
        for (int s = 0; s < 2; s++) {
            snprintf(b[s].cell.room, sizeof b[s].cell.room, "%s", room);
            b[s].cell.priority = (enum priority)p;
            b[s].cell.night = s == 1;
        }
        if (rc == 0)
            rc = bucket_add(&b[night], q, ack, clr);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = HV_EDB;
    if (rc == 0)
        rc = flush_buckets(b, &out, &n, &cap);
    if (rc != 0)
        log_error("call log: report failed: %s",
                  rc == HV_EDB ? sqlite3_errmsg(log->sql) : "out of memory");
    sqlite3_finalize(st);
    for (int s = 0; s < 2; s++) {
        free(b[s].ack.v);
        free(b[s].clear.v);
    }
    if (rc != 0) {
        free(out);
        return rc;
    }
    *cells = out;
    return n;
}
