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
#include "err.h"
#include "log.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct outbox {
    sqlite3 *db;
    sqlite3_stmt *push, *done, *count, *last, *next, *state_set, *state_del, *state_get;
    /* The message outbox_each is showing: owned here until the next call. */
    char *topic, *payload;
    size_t topic_cap, payload_cap;
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS outbox("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, payload TEXT NOT NULL,"
    "  retain INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "PRAGMA user_version=1;";

static int prepare(struct outbox *ob, sqlite3_stmt **st, const char *sql)
{
    if (sqlite3_prepare_v3(ob->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK)
        return 0;
    log_error("outbox: cannot prepare statement: %s", sqlite3_errmsg(ob->db));
    return HV_EDB;
}

static int prepare_all(struct outbox *ob)
{
    return prepare(ob, &ob->push, "INSERT INTO outbox(topic, payload, retain, created_ms)"
                                  " VALUES(?1,?2,?3,?4)") ||
           prepare(ob, &ob->done, "DELETE FROM outbox WHERE seq=?1") ||
           prepare(ob, &ob->count, "SELECT count(*) FROM outbox") ||
           prepare(ob, &ob->last, "SELECT coalesce(max(seq), 0) FROM outbox") ||
           prepare(ob, &ob->next, "SELECT seq, topic, payload, retain FROM outbox"
                                  " WHERE seq>?1 AND seq<=?2 ORDER BY seq LIMIT 1") ||
           prepare(ob, &ob->state_set, "INSERT INTO state(key, value) VALUES(?1,?2)"
                                       " ON CONFLICT(key) DO UPDATE SET value=excluded.value") ||
           prepare(ob, &ob->state_del, "DELETE FROM state WHERE key=?1") ||
           prepare(ob, &ob->state_get, "SELECT value FROM state WHERE key=?1")
           ? HV_EDB : 0;
}

struct outbox *outbox_open(const char *path)
{
    struct outbox *ob = calloc(1, sizeof *ob);
    char *errmsg = NULL;

    if (!ob) {
        log_error("outbox %s: out of memory", path);
        return NULL;
    }
    if (sqlite3_open_v2(path, &ob->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)) {
        log_error("outbox %s: cannot open: %s", path,
                  ob->db ? sqlite3_errmsg(ob->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(ob->db, 2000);
    if (sqlite3_exec(ob->db, schema, NULL, NULL, &errmsg) != SQLITE_OK) {
        log_error("outbox %s: cannot set up: %s", path, errmsg ? errmsg : "?");
        sqlite3_free(errmsg);
        goto fail;
    }
    if (prepare_all(ob))
        goto fail;
    return ob;
fail:
    outbox_close(ob);
    return NULL;
}

void outbox_close(struct outbox *ob)
{
    if (!ob)
        return;
    sqlite3_finalize(ob->push);
    sqlite3_finalize(ob->done);
    sqlite3_finalize(ob->count);
    sqlite3_finalize(ob->last);
    sqlite3_finalize(ob->next);
    sqlite3_finalize(ob->state_set);
    sqlite3_finalize(ob->state_del);
    sqlite3_finalize(ob->state_get);
    sqlite3_close(ob->db);
    free(ob->topic);
    free(ob->payload);
    free(ob);
}

/* Steps a bound statement that returns no rows, then resets it. 0 or HV_EDB. */
static int step_done(struct outbox *ob, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_DONE)
        return 0;
    log_error("outbox: %s failed: %s", what, sqlite3_errmsg(ob->db));
    return HV_EDB;
}

/* Steps a statement that returns one integer. The integer, or HV_EDB. */
static int64_t step_int(struct outbox *ob, sqlite3_stmt *st, const char *what)
{
    int64_t v = HV_EDB;

    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else
        log_error("outbox: %s failed: %s", what, sqlite3_errmsg(ob->db));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return v;
}

/* ---- messages ------------------------------------------------------------------------ */

int64_t outbox_push(struct outbox *ob, const char *topic, const char *payload, bool retain)
{
    sqlite3_bind_text(ob->push, 1, topic, -1, SQLITE_STATIC);
    sqlite3_bind_text(ob->push, 2, payload, -1, SQLITE_STATIC);
    sqlite3_bind_int(ob->push, 3, retain);
    sqlite3_bind_int64(ob->push, 4, clock_now_ms());
    if (step_done(ob, ob->push, "queueing a message"))
        return HV_EDB;
    return sqlite3_last_insert_rowid(ob->db);
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
    sqlite3_stmt *st = ob->next;
    int rc, found = 0;

    sqlite3_bind_int64(st, 1, last);
    sqlite3_bind_int64(st, 2, upto);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 1);
        int tlen = sqlite3_column_bytes(st, 1);
        const unsigned char *p = sqlite3_column_text(st, 2);
        int plen = sqlite3_column_bytes(st, 2);
        m->seq = sqlite3_column_int64(st, 0);
        m->retain = sqlite3_column_int(st, 3) != 0;
        found = keep_copy(&ob->topic, &ob->topic_cap, t, tlen) == 0 &&
                keep_copy(&ob->payload, &ob->payload_cap, p, plen) == 0 ? 1 : HV_EDB;
        m->topic = ob->topic;
        m->payload = ob->payload;
    } else if (rc != SQLITE_DONE) {
        found = HV_EDB;
    }
    if (found == HV_EDB)
        log_error("outbox: reading the queue failed: %s",
                  rc == SQLITE_ROW ? "out of memory" : sqlite3_errmsg(ob->db));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
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
    int64_t last = 0, upto = step_int(ob, ob->last, "reading the queue");
    int n = 0, rc;

    if (upto < 0)
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
    sqlite3_bind_int64(ob->done, 1, seq);
    return step_done(ob, ob->done, "deleting a delivered message");
}

/* The count, or HV_EDB. */
int outbox_count(struct outbox *ob)
{
    return (int)step_int(ob, ob->count, "counting the queue");
}

/* ---- state ------------------------------------------------------------------------- */

/* Sets key to value; a NULL value removes key (outbox_state_get then gives ""). 0 or HV_EDB. */
int outbox_state_set(struct outbox *ob, const char *key, const char *value)
{
    sqlite3_stmt *st = value ? ob->state_set : ob->state_del;

    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (value)
        sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    return step_done(ob, st, "saving state");
}

int64_t outbox_writes(struct outbox *ob)
{
    return sqlite3_total_changes64(ob->db);
}

void outbox_state_get(struct outbox *ob, const char *key, char *out, size_t outlen)
{
    sqlite3_stmt *st = ob->state_get;
    int rc;

    if (outlen == 0)
        return;
    out[0] = '\0';
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        snprintf(out, outlen, "%s", v ? (const char *)v : "");
    } else if (rc != SQLITE_DONE) {
        log_error("outbox: reading state '%s' failed: %s", key, sqlite3_errmsg(ob->db));
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}
