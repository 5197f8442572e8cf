/* test_db.c - one SQLite store file (common/db.c): privacy, migrations, transactions, failures. */
#include "check.h"
#include "db.h"
#include "err.h"
#include "unit_util.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct db_schema v1 = {
    .name = "test store",
    .pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
    .create = "CREATE TABLE IF NOT EXISTS t(k INTEGER PRIMARY KEY, v TEXT NOT NULL);",
    .version = 1,
};

static const char *path_of(const char *name)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/%s", unit_dir(), name);
    return path;
}

static int mode_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

static int64_t rows(struct db *db)
{
    int64_t n = -1;
    CHECK_INT_EQ(db_int(db, db_stmt(db, "SELECT count(*) FROM t"), "counting", &n), 0);
    return n;
}

static int put(struct db *db, int k, const char *v)
{
    sqlite3_stmt *st = db_stmt(db, "INSERT INTO t(k, v) VALUES(?1, ?2)");
    if (!st)
        return HV_EDB;
    sqlite3_bind_int(st, 1, k);
    sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
    return db_run(db, st, "inserting");
}

static int64_t version_of(struct db *db)
{
    int64_t v = -1;
    CHECK_INT_EQ(db_int(db, db_stmt(db, "PRAGMA user_version"), "version", &v), 0);
    return v;
}

/* Created 0600 with its -wal and -shm whatever the umask; an existing 0644 file narrowed. */
static void test_private_files(void)
{
    char wal[700], shm[700];
    const char *path = path_of("private.db");
    mode_t old = umask(022);
    struct db *db = db_open(path, &v1);

    REQUIRE(db != NULL);
    CHECK_INT_EQ(put(db, 1, "x"), 0);
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);
    CHECK_INT_EQ(mode_of(path), 0600);
    CHECK_INT_EQ(mode_of(wal), 0600);
    CHECK_INT_EQ(mode_of(shm), 0600);
    db_close(db);

    CHECK(chmod(path, 0644) == 0);       /* made by hand, or by an older Haven */
    db = db_open(path, &v1);
    REQUIRE(db != NULL);
    CHECK_INT_EQ(mode_of(path), 0600);
    CHECK_INT_EQ(rows(db), 1);
    db_close(db);
    umask(old);
}

static int migrated_from = -2;

static int migrate_v2(struct db *db, int from)
{
    migrated_from = from;
    return db_exec(db, "ALTER TABLE t ADD COLUMN w TEXT NOT NULL DEFAULT 'new'");
}

static int migrate_fails(struct db *db, int from)
{
    (void)db;
    migrated_from = from;
    return HV_EDB;
}

/* A version-1 file comes up to version 2 once, its rows kept; a failed migration leaves
 * it as it was (the new table of the create is rolled back with it). */
static void test_migration(void)
{
    const char *path = path_of("migrate.db");
    struct db_schema v2 = v1, bad = v1;
    struct db *db = db_open(path, &v1);

    REQUIRE(db != NULL);
    CHECK_INT_EQ(version_of(db), 1);
    CHECK_INT_EQ(put(db, 1, "kept"), 0);
    db_close(db);

    bad.version = 2;
    bad.create = "CREATE TABLE IF NOT EXISTS t(k INTEGER PRIMARY KEY, v TEXT NOT NULL);"
                 "CREATE TABLE IF NOT EXISTS extra(x);";
    bad.migrate = migrate_fails;
    unit_capture_begin();
    CHECK(db_open(path, &bad) == NULL);
    char *log = unit_capture_end();
    CHECK(strstr(log, path) != NULL);
    free(log);
    CHECK_INT_EQ(migrated_from, 1);
    db = db_open(path, &v1);
    REQUIRE(db != NULL);
    CHECK_INT_EQ(version_of(db), 1);
    CHECK(db_stmt(db, "SELECT x FROM extra") == NULL);  /* rolled back */
    db_close(db);

    v2.version = 2;
    v2.migrate = migrate_v2;
    migrated_from = -2;
    db = db_open(path, &v2);
    REQUIRE(db != NULL);
    CHECK_INT_EQ(migrated_from, 1);
    CHECK_INT_EQ(version_of(db), 2);
    CHECK_INT_EQ(rows(db), 1);
    int64_t n = 0;
    CHECK_INT_EQ(db_int(db, db_stmt(db, "SELECT count(*) FROM t WHERE v='kept' AND w='new'"),
                        "reading", &n), 0);
    CHECK_INT_EQ(n, 1);
    db_close(db);

    migrated_from = -2;                  /* up to date: not migrated again */
    db = db_open(path, &v2);
    REQUIRE(db != NULL);
    CHECK_INT_EQ(migrated_from, -2);
    db_close(db);
}

/* A full rollback writes nothing; an inner rollback makes the outer commit roll back. */
static void test_rollback(void)
{
    struct db *db = db_open(path_of("rollback.db"), &v1);

    REQUIRE(db != NULL);
    CHECK_INT_EQ(db_begin(db), 0);
    CHECK_INT_EQ(put(db, 1, "a"), 0);
    CHECK_INT_EQ(put(db, 2, "b"), 0);
    CHECK(db_in_transaction(db));
    CHECK_INT_EQ(db_rollback(db), 0);
    CHECK(!db_in_transaction(db));
    CHECK_INT_EQ(rows(db), 0);

    CHECK_INT_EQ(db_begin(db), 0);
    CHECK_INT_EQ(put(db, 1, "a"), 0);
    CHECK_INT_EQ(db_begin(db), 0);       /* a helper joining the intent's transaction */
    CHECK_INT_EQ(put(db, 2, "b"), 0);
    CHECK_INT_EQ(db_rollback(db), 0);
    CHECK_INT_EQ(db_commit(db), HV_EDB);
    CHECK_INT_EQ(rows(db), 0);

    CHECK_INT_EQ(db_begin(db), 0);       /* and the next one is fresh */
    CHECK_INT_EQ(put(db, 3, "c"), 0);
    CHECK_INT_EQ(db_commit(db), 0);
    CHECK_INT_EQ(rows(db), 1);

    unit_capture_begin();                /* unmatched: refused, logged */
    CHECK_INT_EQ(db_commit(db), HV_EDB);
    CHECK_INT_EQ(db_rollback(db), HV_EDB);
    free(unit_capture_end());
    db_close(db);
}

/* Nested commits join the outer one: a reader sees nothing until the outermost commits. */
static void test_nesting(void)
{
    const char *path = path_of("nest.db");
    struct db *db = db_open(path, &v1), *rd;

    REQUIRE(db != NULL);
    rd = db_open_reader(path, "reader");
    REQUIRE(rd != NULL);
    CHECK_INT_EQ(db_begin(db), 0);
    CHECK_INT_EQ(db_begin(db), 0);
    CHECK_INT_EQ(put(db, 1, "a"), 0);
    CHECK_INT_EQ(db_commit(db), 0);
    CHECK_INT_EQ(rows(rd), 0);
    CHECK_INT_EQ(db_commit(db), 0);
    CHECK_INT_EQ(rows(rd), 1);
    db_close(rd);
    db_close(db);
}

/* A commit that fails (injected through SQLite's commit hook) writes nothing, says so
 * naming the file, and the store goes on. */
static void test_commit_fails(void)
{
    const char *path = path_of("commitfail.db");
    struct db *db = db_open(path, &v1);
    char *log;

    REQUIRE(db != NULL);
    db_fail_commits(db, 1);
    CHECK_INT_EQ(db_begin(db), 0);
    CHECK_INT_EQ(put(db, 1, "a"), 0);
    CHECK_INT_EQ(put(db, 2, "b"), 0);
    unit_capture_begin();
    CHECK_INT_EQ(db_commit(db), HV_EDB);
    log = unit_capture_end();
    CHECK(strstr(log, "commit failed") != NULL);
    CHECK(strstr(log, path) != NULL);
    CHECK(strstr(log, "test store") != NULL);
    free(log);
    CHECK(!db_in_transaction(db));
    CHECK_INT_EQ(rows(db), 0);
    CHECK_INT_EQ(put(db, 3, "c"), 0);    /* the next commit (an autocommit) goes through */
    CHECK_INT_EQ(rows(db), 1);
    db_close(db);
}

/* A directory it may not write: no database, a line naming the file. */
static void test_read_only_dir(void)
{
    char dir[600], path[700];
    char *log;

    snprintf(dir, sizeof dir, "%s/ro", unit_dir());
    REQUIRE(mkdir(dir, 0500) == 0 || chmod(dir, 0500) == 0);
    /* root writes anywhere on a writable file system: /proc takes no new files */
    if (geteuid() == 0)
        snprintf(path, sizeof path, "/proc/haven-test-%d.db", (int)getpid());
    else
        snprintf(path, sizeof path, "%s/store.db", dir);
    unit_capture_begin();
    CHECK(db_open(path, &v1) == NULL);
    log = unit_capture_end();
    CHECK(strstr(log, "test store") != NULL);
    CHECK(strstr(log, path) != NULL);
    CHECK(strstr(log, "cannot create") != NULL);
    free(log);
    chmod(dir, 0700);
}

/* Not a database: refused with a line naming the file, and left as it was. */
static void test_corrupt_file(void)
{
    static const char junk[] = "this is not an SQLite database, but it is long enough to look at, "
                               "and a store must not write over it\n";
    const char *path = unit_file("corrupt.db", junk);
    char copy[700], *log, *after;

    snprintf(copy, sizeof copy, "%s", path);
    unit_capture_begin();
    CHECK(db_open(copy, &v1) == NULL);
    log = unit_capture_end();
    CHECK(strstr(log, copy) != NULL);
    CHECK(strstr(log, "not a database") != NULL);
    free(log);
    after = hv_read_file(copy);
    CHECK(after && strcmp(after, junk) == 0);
    free(after);
}

/* One prepared statement per SQL text; bad SQL is logged, not fatal. */
static void test_statement_cache(void)
{
    struct db *db = db_open(":memory:", &v1);
    char sql[64];
    sqlite3_stmt *a;

    REQUIRE(db != NULL);
    a = db_stmt(db, "SELECT count(*) FROM t");
    REQUIRE(a != NULL);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM t");  /* the same text elsewhere */
    CHECK(db_stmt(db, sql) == a);
    CHECK(db_stmt(db, "SELECT v FROM t") != a);
    unit_capture_begin();
    CHECK(db_stmt(db, "SELEKT nothing") == NULL);
    CHECK_INT_EQ(db_run(db, NULL, "nothing"), HV_EDB);
    char *log = unit_capture_end();
    CHECK(strstr(log, "cannot prepare") != NULL);
    free(log);
    CHECK_STR_EQ(db_name(db), "test store");
    CHECK_STR_EQ(db_path(db), ":memory:");
    db_close(db);
    db_close(NULL);
}

int main(void)
{
    RUN(test_private_files);
    RUN(test_migration);
    RUN(test_rollback);
    RUN(test_nesting);
    RUN(test_commit_fails);
    RUN(test_read_only_dir);
    RUN(test_corrupt_file);
    RUN(test_statement_cache);
    unit_cleanup();
    return CHECK_SUMMARY();
}
