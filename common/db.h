/*
 * db.h - one SQLite database file, the way every Haven store opens and uses
 * it: the kiosk's outbox, state and tap journal (kiosk/outbox.c,
 * kiosk/journal.c) and the controller's call log (room/calllog.c).
 *
 * What it does once for all of them:
 *   - creates the file 0600 (and narrows an existing one), so the -wal and
 *     -shm files SQLite makes beside it, which take the database's mode, are
 *     0600 too whatever the umask: these files hold patient-linked data;
 *   - runs the store's pragmas, then its schema and migrations (PRAGMA
 *     user_version) in one transaction, so a half-migrated file never stays;
 *   - keeps each statement prepared once (db_stmt, by its SQL text);
 *   - transactions that nest (db_begin/db_commit): an intent opens one, and
 *     the helpers it calls join it instead of committing on their own;
 *   - log lines that name the store and the file ("outbox /var/lib/...: ...").
 *
 * A handle is used from one thread at a time (SQLite's own rule for a
 * connection).  Functions return 0 or HV_EDB unless said otherwise.
 */
#ifndef HAVEN_DB_H
#define HAVEN_DB_H

#include <stdbool.h>
#include <stdint.h>

struct db;
struct sqlite3;
struct sqlite3_stmt;

/* A store's layout.  All strings must outlive the handle. */
struct db_schema {
    const char *name;      /* for log lines: "outbox", "call log" */
    const char *pragmas;   /* run at every open, outside any transaction (journal mode...) */
    const char *create;    /* the current layout, CREATE ... IF NOT EXISTS throughout */
    int version;           /* the PRAGMA user_version this code writes (> 0) */
    /*
     * Optional: brings a file whose user_version is from (< version; 0 for a file
     * written before versions were kept, or a new one) up to version.  Runs after
     * create, inside the same transaction.  0, or HV_EDB (the open then fails and
     * the file is left as it was).
     */
    int (*migrate)(struct db *db, int from);
};

/* Opens (creating) the database at path (":memory:" for tests).  NULL on failure (logged). */
struct db *db_open(const char *path, const struct db_schema *schema);
/* Opens an existing database read-only, schema untouched (a reader beside a writer). */
struct db *db_open_reader(const char *path, const char *name);
/* Finalizes every cached statement and closes; an open transaction is rolled back. */
void db_close(struct db *db);

/* For log lines and tests. */
const char *db_name(const struct db *db);
const char *db_path(const struct db *db);
/* The SQLite connection, for what this API does not cover (checkpoints, busy timeout). */
struct sqlite3 *db_sqlite(struct db *db);

/* Runs sql (one or more statements, no rows wanted). */
int db_exec(struct db *db, const char *sql);

/*
 * The statement for sql, prepared on first use and kept until db_close.  It is
 * reset and unbound: bind, then db_run/db_row/db_int, which reset it again.
 * NULL when it does not prepare (logged).
 */
struct sqlite3_stmt *db_stmt(struct db *db, const char *sql);
/* Steps st to its end (no rows); what says what failed in the log line. */
int db_run(struct db *db, struct sqlite3_stmt *st, const char *what);
/* Steps st once: 1 with a row (call db_reset when done with it), 0 at the end, HV_EDB. */
int db_row(struct db *db, struct sqlite3_stmt *st, const char *what);
/* Steps st for its one integer (0 when it returns no row) into *out. */
int db_int(struct db *db, struct sqlite3_stmt *st, const char *what, int64_t *out);
/* Resets st and clears its bindings (after db_row). */
void db_reset(struct sqlite3_stmt *st);

/*
 * Transactions.  db_begin opens one, or joins the one open (depth counts).  The
 * outermost db_commit commits; it returns HV_EDB if the commit failed or anything
 * inside called db_rollback, and then nothing of the transaction was written.
 * db_rollback undoes the whole transaction at the outermost level; inner ones mark
 * it so that the outer commit rolls back.  Each db_begin wants one db_commit or
 * db_rollback.
 */
int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);
/* True while a transaction is open (db_begin without its db_commit yet). */
bool db_in_transaction(const struct db *db);

/* The rowid of the last insert, and the rows written since opened. */
int64_t db_last_rowid(struct db *db);
int64_t db_total_changes(struct db *db);

/*
 * Fault injection for tests: the next n commits fail as a real failed COMMIT does
 * (SQLite's commit hook turns each into a rollback), and are logged as such.
 */
void db_fail_commits(struct db *db, int n);

#endif
