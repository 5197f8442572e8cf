/*
 * db.c - one SQLite database file for a Haven store (see db.h).
 *
 * Statement cache: a store has a couple of dozen statements; each is looked
 * up by its SQL text (pointer first, then the text SQLite keeps), a linear
 * scan that costs a few hundred nanoseconds against the fsync of the commit
 * it is part of.  Statements are prepared SQLITE_PREPARE_PERSISTENT.
 */
#include "db.h"
#include "err.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cached {
    const char *key;       /* the SQL pointer it was asked for with */
    sqlite3_stmt *st;
};

struct db {
    sqlite3 *sql;
    char *path;
    const char *name;
    int depth;             /* db_begin calls not yet matched */
    bool open;             /* the outermost BEGIN succeeded */
    bool failed;           /* something inside asked for a rollback */
    int fail_commits;      /* fault injection: commits still to fail */
    struct cached *cache;
    size_t ncache, cap;
};

/* ---- files ----------------------------------------------------------------------- */

static bool is_file_path(const char *path)
{
    return path[0] && strcmp(path, ":memory:") != 0 && strncmp(path, "file:", 5) != 0;
}

/* Narrows an existing file to the owner (0600 at most); a missing one is fine. */
static int narrow(const char *name, const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0 || (st.st_mode & 077) == 0)
        return 0;
    if (chmod(path, st.st_mode & 0600) == 0)
        return 0;
    log_error("%s %s: mode %03o and cannot chmod 600: %s", name, path,
              (unsigned)(st.st_mode & 0777), strerror(errno));
    return HV_EDB;
}

/*
 * The database file 0600 before SQLite opens it: a new one is created so (never
 * through an open descriptor on an existing file, whose close would drop SQLite's
 * POSIX locks of another connection in this process), an existing one and its
 * -wal and -shm are narrowed.  SQLite gives the -wal and -shm it creates the
 * database file's mode.
 */
static int make_private(const char *name, const char *path)
{
    static const char *const sfx[] = { "-wal", "-shm" };
    char side[4096];
    int fd;

    if (!is_file_path(path))
        return 0;
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    if (errno != EEXIST) {
        log_error("%s %s: cannot create: %s", name, path, strerror(errno));
        return HV_EDB;
    }
    if (narrow(name, path) != 0)
        return HV_EDB;
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        snprintf(side, sizeof side, "%s%s", path, sfx[i]);
        if (narrow(name, side) != 0)
            return HV_EDB;
    }
    return 0;
}

/* ---- open and close ---------------------------------------------------------------- */

static int commit_hook(void *arg)
{
    struct db *db = arg;

    if (db->fail_commits <= 0)
        return 0;
    db->fail_commits--;
    return 1;  /* non-zero: SQLite rolls the commit back */
}

static struct db *db_new(const char *path, const char *name)
{
    struct db *db = calloc(1, sizeof *db);

    if (db)
        db->path = strdup(path);
    if (!db || !db->path) {
        log_error("%s %s: out of memory", name, path);
        free(db);
        return NULL;
    }
    db->name = name;
    return db;
}

static int db_connect(struct db *db, int flags)
{
    if (sqlite3_open_v2(db->path, &db->sql, flags, NULL) != SQLITE_OK) {
        log_error("%s %s: cannot open: %s", db->name, db->path,
                  db->sql ? sqlite3_errmsg(db->sql) : "out of memory");
        return HV_EDB;
    }
    sqlite3_extended_result_codes(db->sql, 1);
    sqlite3_busy_timeout(db->sql, 2000);
    sqlite3_commit_hook(db->sql, commit_hook, db);
    return 0;
}

static int user_version(struct db *db, int64_t *v)
{
    sqlite3_stmt *st = NULL;
    int rc = HV_EDB;

    *v = 0;
    if (sqlite3_prepare_v2(db->sql, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        *v = sqlite3_column_int64(st, 0);
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Creates or migrates the layout, all in one transaction. */
static int set_up(struct db *db, const struct db_schema *s)
{
    char sql[48];
    int64_t from;

    if (db_exec(db, s->pragmas ? s->pragmas : "") != 0 || db_begin(db) != 0)
        return HV_EDB;
    if (db_exec(db, s->create) != 0 || user_version(db, &from) != 0)
        goto fail;
    if (from > s->version) {
        log_warn("%s %s: written by a newer Haven (version %lld, this one writes %d): used as it is",
                 db->name, db->path, (long long)from, s->version);
    } else if (from < s->version) {
        if (s->migrate && s->migrate(db, (int)from) != 0)
            goto fail;
        snprintf(sql, sizeof sql, "PRAGMA user_version=%d", s->version);
        if (db_exec(db, sql) != 0)
            goto fail;
        if (from > 0)
            log_info("%s %s: migrated from version %lld to %d", db->name, db->path,
                     (long long)from, s->version);
    }
    return db_commit(db);
fail:
    db_rollback(db);
    return HV_EDB;
}

struct db *db_open(const char *path, const struct db_schema *schema)
{
    struct db *db = db_new(path, schema->name);

    if (!db)
        return NULL;
    if (make_private(db->name, path) != 0 ||
        db_connect(db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) != 0)
        goto fail;
    if (set_up(db, schema) != 0) {
        log_error("%s %s: cannot set up its tables: %s", db->name, db->path,
                  sqlite3_errmsg(db->sql));
        goto fail;
    }
    return db;
fail:
    db_close(db);
    return NULL;
}

struct db *db_open_reader(const char *path, const char *name)
{
    struct db *db = db_new(path, name);

    if (!db)
        return NULL;
    if (db_connect(db, SQLITE_OPEN_READONLY) != 0) {
        db_close(db);
        return NULL;
    }
    return db;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    for (size_t i = 0; i < db->ncache; i++)
        sqlite3_finalize(db->cache[i].st);
    sqlite3_close(db->sql);  /* rolls back what is open */
    free(db->cache);
    free(db->path);
    free(db);
}

const char *db_name(const struct db *db) { return db->name; }
const char *db_path(const struct db *db) { return db->path; }
struct sqlite3 *db_sqlite(struct db *db) { return db->sql; }

/* ---- statements ---------------------------------------------------------------------- */

int db_exec(struct db *db, const char *sql)
{
    char *errmsg = NULL;

    if (sqlite3_exec(db->sql, sql, NULL, NULL, &errmsg) == SQLITE_OK)
        return 0;
    log_error("%s %s: %.60s failed: %s", db->name, db->path, sql,
              errmsg ? errmsg : sqlite3_errmsg(db->sql));
    sqlite3_free(errmsg);
    return HV_EDB;
}

struct sqlite3_stmt *db_stmt(struct db *db, const char *sql)
{
    sqlite3_stmt *st = NULL;

    for (size_t i = 0; i < db->ncache; i++)
        if (db->cache[i].key == sql || strcmp(sqlite3_sql(db->cache[i].st), sql) == 0)
            return db->cache[i].st;
    if (db->ncache == db->cap) {
        size_t cap = db->cap ? db->cap * 2 : 16;
        struct cached *grown = realloc(db->cache, cap * sizeof *grown);
        if (!grown) {
            log_error("%s %s: out of memory preparing a statement", db->name, db->path);
            return NULL;
        }
        db->cache = grown;
        db->cap = cap;
    }
    if (sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        log_error("%s %s: cannot prepare \"%.60s\": %s", db->name, db->path, sql,
                  sqlite3_errmsg(db->sql));
        sqlite3_finalize(st);
        return NULL;
    }
    db->cache[db->ncache++] = (struct cached){ sql, st };
    return st;
}

void db_reset(struct sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static int step_failed(struct db *db, sqlite3_stmt *st, const char *what)
{
    log_error("%s %s: %s failed: %s", db->name, db->path, what, sqlite3_errmsg(db->sql));
    db_reset(st);
    return HV_EDB;
}

int db_run(struct db *db, struct sqlite3_stmt *st, const char *what)
{
    int rc;

    if (!st)
        return HV_EDB;
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return step_failed(db, st, what);
    db_reset(st);
    return 0;
}

int db_row(struct db *db, struct sqlite3_stmt *st, const char *what)
{
    int rc;

    if (!st)
        return HV_EDB;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc != SQLITE_DONE)
        return step_failed(db, st, what);
    db_reset(st);
    return 0;
}

int db_int(struct db *db, struct sqlite3_stmt *st, const char *what, int64_t *out)
{
    int rc = db_row(db, st, what);

    *out = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    if (rc == 1)
        db_reset(st);
    return rc < 0 ? rc : 0;
}

/* ---- transactions ------------------------------------------------------------------- */

int db_begin(struct db *db)
{
    if (db->depth++ > 0)
        return db->open ? 0 : HV_EDB;
    db->failed = false;
    db->open = db_exec(db, "BEGIN IMMEDIATE") == 0;
    return db->open ? 0 : HV_EDB;
}

/* Ends the outermost transaction: commit when commit and nothing inside failed. */
static int finish(struct db *db, bool commit)
{
    bool was_open = db->open;

    db->open = false;
    if (!was_open)
        return HV_EDB;
    if (commit && !db->failed) {
        if (sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
            return 0;
        log_error("%s %s: commit failed, nothing of it written: %s", db->name, db->path,
                  sqlite3_errmsg(db->sql));
    }
    if (!sqlite3_get_autocommit(db->sql))
        sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
    return commit ? HV_EDB : 0;
}

int db_commit(struct db *db)
{
    if (db->depth <= 0) {
        log_error("%s %s: commit without a transaction", db->name, db->path);
        return HV_EDB;
    }
    if (--db->depth > 0)
        return db->open && !db->failed ? 0 : HV_EDB;
    return finish(db, true);
}

int db_rollback(struct db *db)
{
    if (db->depth <= 0) {
        log_error("%s %s: rollback without a transaction", db->name, db->path);
        return HV_EDB;
    }
    db->failed = true;
    if (--db->depth > 0)
        return 0;
    return finish(db, false);
}

bool db_in_transaction(const struct db *db)
{
    return db->depth > 0;
}

int64_t db_last_rowid(struct db *db)
{
    return sqlite3_last_insert_rowid(db->sql);
}

int64_t db_total_changes(struct db *db)
{
    return sqlite3_total_changes64(db->sql);
}

void db_fail_commits(struct db *db, int n)
{
    db->fail_commits = n;
}
