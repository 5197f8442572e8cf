/*
 * journal.c - the tap journal in SQLite (journal.h).
 *
 * The taps table lives in the kiosk database (outbox.c keeps its layout), so
 * durability is the outbox's: WAL with synchronous=FULL, one fsynced commit
 * per tap.  A patient taps a few dozen times a visit; what must not happen
 * is that a crash takes back the answer on screen.
 */
#include "journal.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "outbox.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLOSE_KIND "close"

#define SQL_ADD "INSERT INTO taps(visit, phase, kind, form, item, value, ts_ms)" \
                " VALUES(?1,?2,?3,?4,?5,?6,?7)"
#define SQL_LOAD "SELECT kind, form, item, value, ts_ms FROM taps WHERE visit=?1 AND phase=?2 AND" \
                 " seq > coalesce((SELECT max(seq) FROM taps WHERE visit=?1 AND phase=?2 AND" \
                 " kind='" CLOSE_KIND "'), 0) ORDER BY seq"
#define SQL_FORGET "DELETE FROM taps WHERE visit=?1"

struct journal {
    struct db *db;
    bool own;              /* opened by journal_open (closed with the journal) */
};

static struct journal *journal_new(struct db *db, bool own)
{
    struct journal *j = calloc(1, sizeof *j);

    if (!j) {
        log_error("journal %s: out of memory", db_path(db));
        if (own)
            db_close(db);
        return NULL;
    }
    j->db = db;
    j->own = own;
    return j;
}

struct journal *journal_open(const char *path)
{
    struct db *db = db_open(path, &outbox_schema);

    return db ? journal_new(db, true) : NULL;
}

struct journal *journal_on(struct db *db)
{
    return db ? journal_new(db, false) : NULL;
}

void journal_close(struct journal *j)
{
    if (!j)
        return;
    if (j->own)
        db_close(j->db);
    free(j);
}

static int add(struct journal *j, const char *visit, enum phase p, const char *kind, int form,
               const char *item, const char *value, int64_t ts)
{
    sqlite3_stmt *st = db_stmt(j->db, SQL_ADD);

    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, visit, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, phase_name(p), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, form);
    sqlite3_bind_text(st, 5, item, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, value, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, ts);
    return db_run(j->db, st, "writing a tap");
}

int journal_append(struct journal *j, const char *visit, enum phase p, const struct run_event *ev,
                   int64_t ts)
{
    return add(j, visit, p, run_ev_kind_name(ev->kind), ev->form, ev->item, ev->value, ts);
}

int journal_close_run(struct journal *j, const char *visit, enum phase p)
{
    return add(j, visit, p, CLOSE_KIND, -1, "", "", 0);
}

int journal_load(struct journal *j, const char *visit, enum phase p,
                 void (*fn)(void *ud, const struct run_event *ev), void *ud)
{
    sqlite3_stmt *st = db_stmt(j->db, SQL_LOAD);
    int n = 0, rc;

    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, visit, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, phase_name(p), -1, SQLITE_STATIC);
    while ((rc = db_row(j->db, st, "reading taps")) == 1) {
        const char *kind = (const char *)sqlite3_column_text(st, 0);
        const char *item = (const char *)sqlite3_column_text(st, 2);
        const char *value = (const char *)sqlite3_column_text(st, 3);
        int k = kind ? run_ev_kind_from_name(kind) : -1;
        struct run_event ev;
        if (k < 0)
            continue;
        ev = run_ev((enum run_ev_kind)k, sqlite3_column_int(st, 1));
        snprintf(ev.item, sizeof ev.item, "%s", item ? item : "");
        snprintf(ev.value, sizeof ev.value, "%s", value ? value : "");
        ev.ms = sqlite3_column_int64(st, 4);  /* a resumed run keeps when each answer was given */
        fn(ud, &ev);
        n++;
    }
    return rc < 0 ? HV_EDB : n;
}

int journal_forget(struct journal *j, const char *visit)
{
    sqlite3_stmt *st = db_stmt(j->db, SQL_FORGET);

    if (!st)
        return HV_EDB;
    sqlite3_bind_text(st, 1, visit, -1, SQLITE_STATIC);
    return db_run(j->db, st, "forgetting a visit's taps");
}
