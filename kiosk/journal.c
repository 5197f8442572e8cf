/*
 * journal.c - the tap journal in SQLite (journal.h).
 *
 * Durability as the outbox's: WAL with synchronous=FULL, one fsynced commit
 * per tap.  A patient taps a few dozen times a visit; what must not happen
 * is that a crash takes back the answer on screen.
 */
#include "journal.h"
#include "err.h"
#include "log.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLOSE_KIND "close"

struct journal {
    sqlite3 *db;
    sqlite3_stmt *add, *load, *forget;
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS taps("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT, visit TEXT NOT NULL, phase TEXT NOT NULL,"
    "  kind TEXT NOT NULL, form INTEGER NOT NULL, item TEXT NOT NULL, value TEXT NOT NULL,"
    "  ts_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS taps_run ON taps(visit, phase, seq);"
    "PRAGMA user_version=1;";

static int prepare(struct journal *j, sqlite3_stmt **st, const char *sql)
{
    if (sqlite3_prepare_v3(j->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK)
        return 0;
    log_error("journal: cannot prepare statement: %s", sqlite3_errmsg(j->db));
    return HV_EDB;
}

struct journal *journal_open(const char *path)
{
    struct journal *j = calloc(1, sizeof *j);
    char *errmsg = NULL;

    if (!j) {
        log_error("journal %s: out of memory", path);
        return NULL;
    }
    if (sqlite3_open_v2(path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)) {
        log_error("journal %s: cannot open: %s", path, j->db ? sqlite3_errmsg(j->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(j->db, 2000);
    if (sqlite3_exec(j->db, schema, NULL, NULL, &errmsg) != SQLITE_OK) {
        log_error("journal %s: cannot set up: %s", path, errmsg ? errmsg : "?");
        sqlite3_free(errmsg);
        goto fail;
    }
    if (prepare(j, &j->add, "INSERT INTO taps(visit, phase, kind, form, item, value, ts_ms)"
                            " VALUES(?1,?2,?3,?4,?5,?6,?7)") ||
        prepare(j, &j->load, "SELECT kind, form, item, value FROM taps WHERE visit=?1 AND"
                             " phase=?2 AND seq > coalesce((SELECT max(seq) FROM taps WHERE"
                             " visit=?1 AND phase=?2 AND kind='" CLOSE_KIND "'), 0) ORDER BY seq") ||
        prepare(j, &j->forget, "DELETE FROM taps WHERE visit=?1"))
        goto fail;
    return j;
fail:
    journal_close(j);
    return NULL;
}

void journal_close(struct journal *j)
{
    if (!j)
        return;
    sqlite3_finalize(j->add);
    sqlite3_finalize(j->load);
    sqlite3_finalize(j->forget);
    sqlite3_close(j->db);
    free(j);
}

static int step_done(struct journal *j, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_DONE)
        return 0;
    log_error("journal: %s failed: %s", what, sqlite3_errmsg(j->db));
    return HV_EDB;
}

static int add(struct journal *j, const char *visit, enum phase p, const char *kind, int form,
               const char *item, const char *value, int64_t ts)
{
    sqlite3_bind_text(j->add, 1, visit, -1, SQLITE_STATIC);
    sqlite3_bind_text(j->add, 2, phase_name(p), -1, SQLITE_STATIC);
    sqlite3_bind_text(j->add, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int(j->add, 4, form);
    sqlite3_bind_text(j->add, 5, item, -1, SQLITE_STATIC);
    sqlite3_bind_text(j->add, 6, value, -1, SQLITE_STATIC);
    sqlite3_bind_int64(j->add, 7, ts);
    return step_done(j, j->add, "writing a tap");
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
    int n = 0, rc;

    sqlite3_bind_text(j->load, 1, visit, -1, SQLITE_STATIC);
    sqlite3_bind_text(j->load, 2, phase_name(p), -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(j->load)) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(j->load, 0);
        const char *item = (const char *)sqlite3_column_text(j->load, 2);
        const char *value = (const char *)sqlite3_column_text(j->load, 3);
        int k = kind ? run_ev_kind_from_name(kind) : -1;
        struct run_event ev;
        if (k < 0)
            continue;
        ev = run_ev((enum run_ev_kind)k, sqlite3_column_int(j->load, 1));
        snprintf(ev.item, sizeof ev.item, "%s", item ? item : "");
        snprintf(ev.value, sizeof ev.value, "%s", value ? value : "");
        fn(ud, &ev);
        n++;
    }
    if (rc != SQLITE_DONE) {
        log_error("journal: reading taps failed: %s", sqlite3_errmsg(j->db));
        n = HV_EDB;
    }
    sqlite3_reset(j->load);
    sqlite3_clear_bindings(j->load);
    return n;
}

int journal_forget(struct journal *j, const char *visit)
{
    sqlite3_bind_text(j->forget, 1, visit, -1, SQLITE_STATIC);
    return step_done(j, j->forget, "forgetting a visit's taps");
}
