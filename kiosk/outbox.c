/*
 * outbox.c - the kiosk's outbox and state in SQLite (see outbox.h).
 *
 * Durability: WAL with synchronous=FULL, so every commit is fsynced before
 * outbox_push returns.  The room controller's call log runs with NORMAL,
 * where a power cut may take back the last few commits; here that could be
 * the call a patient pressed a second before the power went, which is
 * exactly the message that must not be lost.  The kiosk writes rarely (a
 * handful of messages and state changes per visit), so one fsync per message
 * costs nothing anyone notices.
 *
 * seq is an AUTOINCREMENT key: numbers are never reused, even after the
 * outbox has emptied, so a late acknowledgement for an old message can never
 * delete a newer one that happened to get the same number.
 */
#include "outbox.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "log.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct outbox {
    struct db *db;
    /* The message outbox_each is showing: owned here until the next call. */
    char *topic, *payload;
    size_t topic_cap, payload_cap;
    char held[64];              /* its held id (HV_ID_MAX) */
};

#define SQL_PUSH "INSERT INTO outbox(topic, payload, retain, created_ms, held)" \
                 " VALUES(?1,?2,?3,?4,?5)"
/* A held row (a response, a check-in) stays past the broker's PUBACK: only the
 * station's confirmation (outbox_confirm) deletes it. */
#define SQL_DONE "DELETE FROM outbox WHERE seq=?1 AND held IS NULL"
#define SQL_CONFIRM "DELETE FROM outbox WHERE held=?1"
#define SQL_COUNT "SELECT count(*) FROM outbox"
#define SQL_HELD "SELECT count(*) FROM outbox WHERE held IS NOT NULL"
#define SQL_LAST "SELECT coalesce(max(seq), 0) FROM outbox"
#define SQL_NEXT "SELECT seq, topic, payload, retain, held FROM outbox" \
                 " WHERE seq>?1 AND seq<=?2 ORDER BY seq LIMIT 1"
#define SQL_STATE_SET "INSERT INTO state(key, value) VALUES(?1,?2)" \
                      " ON CONFLICT(key) DO UPDATE SET value=excluded.value"
#define SQL_STATE_DEL "DELETE FROM state WHERE key=?1"
#define SQL_STATE_GET "SELECT value FROM state WHERE key=?1"

/*
 * Version 3 (issue 14 part 2): the held column.  The CREATE above has it for a
 * new file; an older file's table gets it here.
 */
static int outbox_migrate(struct db *db, int from)
{
    int64_t has = 0;

    (void)from;
    if (db_int(db, db_stmt(db, "SELECT count(*) FROM pragma_table_info('outbox')"
                               " WHERE name='held'"), "reading the layout", &has) != 0)
        return HV_EDB;
    if (!has && db_exec(db, "ALTER TABLE outbox ADD COLUMN held TEXT") != 0)
        return HV_EDB;
    return db_exec(db, "CREATE INDEX IF NOT EXISTS outbox_held ON outbox(held)");
}

/* The key that says a legacy journal.db was copied in (outbox_import_journal). */
#define IMPORTED_KEY "journal_imported"

const struct db_schema outbox_schema = {
    .name = "outbox",
    .pragmas = "PRAGMA journal_mode=WAL;"
               "PRAGMA synchronous=FULL;",
    .create =
        "CREATE TABLE IF NOT EXISTS outbox("
        "  seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, payload TEXT NOT NULL,"
        "  retain INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL,"
        "  held TEXT);"  /* version 3: the message id the station confirms, or NULL */
        "CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        /* Version 2 (issue 15): the tap journal (journal.c), formerly journal.db. */
        "CREATE TABLE IF NOT EXISTS taps("
        "  seq INTEGER PRIMARY KEY AUTOINCREMENT, visit TEXT NOT NULL, phase TEXT NOT NULL,"
        "  kind TEXT NOT NULL, form INTEGER NOT NULL, item TEXT NOT NULL, value TEXT NOT NULL,"
        "  ts_ms INTEGER NOT NULL);"
        "CREATE INDEX IF NOT EXISTS taps_run ON taps(visit, phase, seq);",
    .version = 3,
    .migrate = outbox_migrate,
};

struct outbox *outbox_open(const char *path)
{
    struct outbox *ob = calloc(1, sizeof *ob);

    if (!ob) {
        log_error("outbox %s: out of memory", path);
        return NULL;
    }
    ob->db = db_open(path, &outbox_schema);
    if (!ob->db) {
        free(ob);
        return NULL;
    }
    return ob;
}

void outbox_close(struct outbox *ob)
{
    if (!ob)
        return;
    db_close(ob->db);
    free(ob->topic);
    free(ob->payload);
    free(ob);
}

struct db *outbox_db(struct outbox *ob)
{
    return ob->db;
}

int outbox_begin(struct outbox *ob)
{
    return db_begin(ob->db);
}

int outbox_commit(struct outbox *ob)
{
    return db_commit(ob->db);
}

/* ---- messages ------------------------------------------------------------------------ */

int64_t outbox_push(struct outbox *ob, const char *topic, const char *payload, bool retain)
{
    return outbox_push_held(ob, topic, payload, retain, NULL);
}

int64_t outbox_push_held(struct outbox *ob, const char *topic, const char *payload, bool retain,
                         const char *held)
{
    sqlite3_stmt *st = db_stmt(ob->db, SQL_PUSH);

    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, topic, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, payload, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, retain);
    sqlite3_bind_int64(st, 4, clock_now_ms());
    if (held && held[0])
        sqlite3_bind_text(st, 5, held, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 5);
    if (db_run(ob->db, st, "queueing a message"))
        return HV_EDB;
    return db_last_rowid(ob->db);
}

int outbox_confirm(struct outbox *ob, const char *id)
{
    sqlite3_stmt *st = db_stmt(ob->db, SQL_CONFIRM);

    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (db_run(ob->db, st, "deleting a confirmed message"))
        return HV_EDB;
    return sqlite3_changes(db_sqlite(ob->db));
}

int outbox_held_count(struct outbox *ob)
{
    int64_t n;

    return db_int(ob->db, db_stmt(ob->db, SQL_HELD), "counting the held messages", &n)
               ? HV_EDB : (int)n;
}

/* Copies the len bytes at src into *buf (grown as needed) and NUL-terminates them. */
static int keep_copy(char **buf, size_t *cap, const unsigned char *src, int len)
{
    size_t need = (size_t)len + 1;

    if (need > *cap) {
        char *grown = realloc(*buf, need);
        if (!grown)
            return HV_ENOMEM;
        *buf = grown;
        *cap = need;
    }
    if (len > 0)
        memcpy(*buf, src, (size_t)len);
    (*buf)[len] = '\0';
    return 0;
}

/*
 * Fetches the first message with last < seq <= upto into m, its strings
 * copied into ob's buffers.  Returns 1 (found), 0 (none left) or HV_EDB.
 * The statement is reset before returning, so no read is left open while
 * the caller's fn runs: fn may push, mark done or set state.
 */
static int fetch_next(struct outbox *ob, int64_t last, int64_t upto, struct outbox_msg *m)
{
    sqlite3_stmt *st = db_stmt(ob->db, SQL_NEXT);
    int found;

    if (!st)
        return HV_EDB;
    sqlite3_bind_int64(st, 1, last);
    sqlite3_bind_int64(st, 2, upto);
    found = db_row(ob->db, st, "reading the queue");
    if (found != 1)
        return found;
    m->seq = sqlite3_column_int64(st, 0);
    m->retain = sqlite3_column_int(st, 3) != 0;
    m->held = NULL;
    if (sqlite3_column_type(st, 4) != SQLITE_NULL)
        snprintf(ob->held, sizeof ob->held, "%s", (const char *)sqlite3_column_text(st, 4)),
        m->held = ob->held;
    if (keep_copy(&ob->topic, &ob->topic_cap, sqlite3_column_text(st, 1),
                  sqlite3_column_bytes(st, 1)) != 0 ||
        keep_copy(&ob->payload, &ob->payload_cap, sqlite3_column_text(st, 2),
                  sqlite3_column_bytes(st, 2)) != 0) {
        log_error("outbox %s: reading the queue failed: out of memory", db_path(ob->db));
        found = HV_EDB;
    }
    m->topic = ob->topic;
    m->payload = ob->payload;
    db_reset(st);
    return found;
}

/*
 * Walks the messages queued when the walk began, oldest first, one query
 * per message (keyed on seq, so each is a B-tree probe).  Messages pushed by
 * fn during the walk wait for the next walk, so a fn that queues cannot make
 * it run forever.
 */
int outbox_each(struct outbox *ob, int (*fn)(void *ud, const struct outbox_msg *m), void *ud)
{
    struct outbox_msg m;
    int64_t last = 0, upto;
    int n = 0, rc;

    if (db_int(ob->db, db_stmt(ob->db, SQL_LAST), "reading the queue", &upto) != 0)
        return HV_EDB;
    while ((rc = fetch_next(ob, last, upto, &m)) == 1) {
        n++;
        last = m.seq;
        if (fn(ud, &m) != 0)
            break;
    }
    return rc < 0 ? rc : n;
}

int outbox_done(struct outbox *ob, int64_t seq)
{
    sqlite3_stmt *st = db_stmt(ob->db, SQL_DONE);

    if (!st)
        return HV_EDB;
    sqlite3_bind_int64(st, 1, seq);
    return db_run(ob->db, st, "deleting a delivered message");
}

/* The count, or HV_EDB. */
int outbox_count(struct outbox *ob)
{
    int64_t n;

    return db_int(ob->db, db_stmt(ob->db, SQL_COUNT), "counting the queue", &n) ? HV_EDB : (int)n;
}

/* ---- state ------------------------------------------------------------------------- */

/* Sets key to value; a NULL value removes key (outbox_state_get then gives ""). 0 or HV_EDB. */
int outbox_state_set(struct outbox *ob, const char *key, const char *value)
{
    sqlite3_stmt *st = db_stmt(ob->db, value ? SQL_STATE_SET : SQL_STATE_DEL);

    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (value)
        sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    return db_run(ob->db, st, "saving state");
}

int64_t outbox_writes(struct outbox *ob)
{
    return db_total_changes(ob->db);
}

void outbox_state_get(struct outbox *ob, const char *key, char *out, size_t outlen)
{
    sqlite3_stmt *st;

    if (outlen == 0)
        return;
    out[0] = '\0';
    st = db_stmt(ob->db, SQL_STATE_GET);
    if (!st)
        return;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (db_row(ob->db, st, "reading state") == 1) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        snprintf(out, outlen, "%s", v ? (const char *)v : "");
        db_reset(st);
    }
}

/* ---- the journal of an older kiosk ----------------------------------------------------- */

/* Copies the taps of the attached "legacy" database and marks them copied, at once. */
static int copy_legacy_taps(struct outbox *ob)
{
    int64_t n = 0;

    if (outbox_begin(ob) != 0 ||
        db_exec(ob->db, "INSERT INTO taps(visit, phase, kind, form, item, value, ts_ms)"
                        " SELECT visit, phase, kind, form, item, value, ts_ms FROM legacy.taps"
                        " ORDER BY seq") != 0) {
        db_rollback(ob->db);
        return HV_EDB;
    }
    n = sqlite3_changes64(db_sqlite(ob->db));
    if (outbox_state_set(ob, IMPORTED_KEY, "1") != 0) {
        db_rollback(ob->db);
        return HV_EDB;
    }
    return outbox_commit(ob) == 0 ? (int)n : HV_EDB;
}

static int attach_legacy(struct outbox *ob, const char *path, bool attach)
{
    sqlite3_stmt *st = db_stmt(ob->db, attach ? "ATTACH DATABASE ?1 AS legacy"
                                              : "DETACH DATABASE legacy");

    if (!st)
        return HV_EDB;
    if (attach)
        sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    return db_run(ob->db, st, attach ? "opening the old journal" : "closing the old journal");
}

int outbox_import_journal(struct outbox *ob, const char *path)
{
    static const char *const sfx[] = { "", "-wal", "-shm" };
    char done[8], side[4096];
    int n = 0;

    if (access(path, F_OK) != 0)
        return 0;
    outbox_state_get(ob, IMPORTED_KEY, done, sizeof done);
    if (!done[0]) {  /* not copied yet (else a crash came before the removal) */
        if (attach_legacy(ob, path, true) != 0)
            return HV_EDB;
        n = copy_legacy_taps(ob);
        attach_legacy(ob, path, false);
        if (n < 0) {
            log_error("outbox %s: the taps of %s could not be copied: left as it is",
                      db_path(ob->db), path);
            return HV_EDB;
        }
        log_info("outbox %s: %d tap(s) of the old journal %s copied in", db_path(ob->db), n, path);
    }
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        snprintf(side, sizeof side, "%s%s", path, sfx[i]);
        if (unlink(side) != 0 && errno != ENOENT) {
            log_error("outbox %s: cannot remove the old journal %s: %s", db_path(ob->db), side,
                      strerror(errno));
            return HV_EDB;
        }
    }
    outbox_state_set(ob, IMPORTED_KEY, NULL);
    return n;
}
