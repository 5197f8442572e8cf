/* test_outbox.c - the kiosk's durable outbox and state (kiosk/outbox.c). */
#include "check.h"
#include "err.h"
#include "journal.h"
#include "outbox.h"
#include "unit_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Collects what outbox_each shows (up to 16 messages), copying the strings. */
struct seen {
    int64_t seq[16];
    char topic[16][64];
    char payload[16][128];
    bool retain[16];
    int n;
    int stop_after;           /* 0: all */
    struct outbox *ob;        /* set: mark each message done from inside fn */
    bool push_inside;         /* push a new message from inside fn */
};

static int collect(void *ud, const struct outbox_msg *m)
{
    struct seen *s = ud;

    if (s->n < 16) {
        s->seq[s->n] = m->seq;
        snprintf(s->topic[s->n], sizeof s->topic[0], "%s", m->topic);
        snprintf(s->payload[s->n], sizeof s->payload[0], "%s", m->payload);
        s->retain[s->n] = m->retain;
    }
    s->n++;
    if (s->ob && outbox_done(s->ob, m->seq) != 0)
        check_true(false, "outbox_done inside outbox_each", __FILE__, __LINE__);
    if (s->ob && s->push_inside && outbox_push(s->ob, "t/late", "{}", false) <= 0)
        check_true(false, "outbox_push inside outbox_each", __FILE__, __LINE__);
    return s->stop_after && s->n >= s->stop_after;
}

static struct seen each(struct outbox *ob, int want_rc)
{
    struct seen s;

    memset(&s, 0, sizeof s);
    CHECK_INT_EQ(outbox_each(ob, collect, &s), want_rc);
    return s;
}

static const char *db_path(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", unit_dir(), name);
    return path;
}

static void test_empty(void)
{
    struct outbox *ob = outbox_open(db_path("empty.db"));
    struct seen s;
    char v[16] = "junk";

    REQUIRE(ob != NULL);
    CHECK_INT_EQ(outbox_count(ob), 0);
    s = each(ob, 0);
    CHECK_INT_EQ(s.n, 0);
    CHECK_INT_EQ(outbox_done(ob, 1), 0);      /* nothing to delete: fine */
    CHECK_INT_EQ(outbox_done(ob, -5), 0);
    outbox_state_get(ob, "phase", v, sizeof v);
    CHECK_STR_EQ(v, "");
    outbox_close(ob);
    outbox_close(NULL);                       /* harmless */
}

static void test_push_each_done(void)
{
    struct outbox *ob = outbox_open(db_path("order.db"));
    int64_t a, b, c;
    struct seen s;

    REQUIRE(ob != NULL);
    a = outbox_push(ob, "haven/room/chair-1/kiosk/call", "{\"id\":\"k-1\",\"reason\":\"help\"}",
                    false);
    b = outbox_push(ob, "haven/room/chair-1/kiosk/status", "{\"online\":true}", true);
    c = outbox_push(ob, "haven/room/chair-1/kiosk/checkin", "{\"id\":\"k-3\",\"feeling\":5}",
                    false);
    CHECK(a > 0);
    CHECK(b > a);
    CHECK(c > b);
    CHECK_INT_EQ(outbox_count(ob), 3);

    s = each(ob, 3);
    REQUIRE(s.n == 3);
    CHECK_INT_EQ(s.seq[0], a);
    CHECK_STR_EQ(s.topic[0], "haven/room/chair-1/kiosk/call");
    CHECK_STR_EQ(s.payload[0], "{\"id\":\"k-1\",\"reason\":\"help\"}");
    CHECK(!s.retain[0]);
    CHECK_INT_EQ(s.seq[1], b);
    CHECK_STR_EQ(s.topic[1], "haven/room/chair-1/kiosk/status");
    CHECK(s.retain[1]);
    CHECK_INT_EQ(s.seq[2], c);
    CHECK_STR_EQ(s.payload[2], "{\"id\":\"k-3\",\"feeling\":5}");

    /* Walking changes nothing; fn returning nonzero stops it. */
    memset(&s, 0, sizeof s);
    s.stop_after = 2;
    CHECK_INT_EQ(outbox_each(ob, collect, &s), 2);
    CHECK_INT_EQ(s.n, 2);
    CHECK_INT_EQ(outbox_count(ob), 3);

    /* Acknowledged out of order: the rest keep their order. */
    CHECK_INT_EQ(outbox_done(ob, b), 0);
    CHECK_INT_EQ(outbox_done(ob, b), 0);      /* twice: fine */
    CHECK_INT_EQ(outbox_count(ob), 2);
    s = each(ob, 2);
    REQUIRE(s.n == 2);
    CHECK_INT_EQ(s.seq[0], a);
    CHECK_INT_EQ(s.seq[1], c);

    /* Emptied, then a new message: a number never used before. */
    CHECK_INT_EQ(outbox_done(ob, c), 0);
    CHECK_INT_EQ(outbox_done(ob, a), 0);
    CHECK_INT_EQ(outbox_count(ob), 0);
    CHECK(outbox_push(ob, "t", "{}", false) > c);
    outbox_close(ob);
}

/* fn may mark messages done, and queue new ones, while the walk runs. */
static void test_each_reentrant(void)
{
    struct outbox *ob = outbox_open(db_path("reentrant.db"));
    struct seen s;
    char payload[32];

    REQUIRE(ob != NULL);
    for (int i = 0; i < 5; i++) {
        snprintf(payload, sizeof payload, "{\"n\":%d}", i);
        REQUIRE(outbox_push(ob, "t/x", payload, false) > 0);
    }
    memset(&s, 0, sizeof s);
    s.ob = ob;
    s.push_inside = true;
    CHECK_INT_EQ(outbox_each(ob, collect, &s), 5);  /* the pushed ones wait for the next walk */
    REQUIRE(s.n == 5);
    for (int i = 0; i < 5; i++) {
        snprintf(payload, sizeof payload, "{\"n\":%d}", i);
        CHECK_STR_EQ(s.payload[i], payload);
    }
    CHECK_INT_EQ(outbox_count(ob), 5);
    s = each(ob, 5);
    REQUIRE(s.n == 5);
    CHECK_STR_EQ(s.topic[4], "t/late");
    outbox_close(ob);
}

/* Checks each message's payload against want[i] in full, whatever its length. */
struct exact {
    const char *const *want;
    int n;
    int bad;
};

static int compare(void *ud, const struct outbox_msg *m)
{
    struct exact *e = ud;

    if (strcmp(m->payload, e->want[e->n]) != 0)
        e->bad++;
    e->n++;
    return 0;
}

/* Large payloads (the contract allows 64 KiB) and text that is not ASCII. */
static void test_big_and_utf8(void)
{
    struct outbox *ob = outbox_open(db_path("big.db"));
    size_t big = 64 * 1024;
    char *payload = malloc(big + 1);
    const char *want[3];
    struct exact e = { want, 0, 0 };

    REQUIRE(ob != NULL);
    REQUIRE(payload != NULL);
    memset(payload, 'x', big);
    payload[0] = '{';
    payload[big - 1] = '}';
    payload[big] = '\0';
    want[0] = "{\"detail\":\"náusea — mareo\"}";
    want[1] = payload;
    want[2] = "";
    REQUIRE(outbox_push(ob, "t/small", want[0], false) > 0);
    REQUIRE(outbox_push(ob, "t/big", want[1], false) > 0);
    REQUIRE(outbox_push(ob, "t/empty", want[2], false) > 0);  /* the shortest after the longest */
    CHECK_INT_EQ(outbox_each(ob, compare, &e), 3);
    CHECK_INT_EQ(e.n, 3);
    CHECK_INT_EQ(e.bad, 0);
    free(payload);
    outbox_close(ob);
}

/* What was queued and saved is there after the kiosk closes and opens again. */
static void test_survives_reopen(void)
{
    const char *path = db_path("reopen.db");
    struct outbox *ob = outbox_open(path);
    int64_t a, b, c;
    struct seen s;
    char v[64];

    REQUIRE(ob != NULL);
    a = outbox_push(ob, "haven/room/chair-1/kiosk/call", "{\"id\":\"k-1\"}", false);
    b = outbox_push(ob, "haven/room/chair-1/kiosk/status", "{\"online\":true}", true);
    c = outbox_push(ob, "haven/room/chair-1/kiosk/clear", "{\"id\":\"k-1\"}", false);
    REQUIRE(a > 0 && b > a && c > b);
    CHECK_INT_EQ(outbox_done(ob, b), 0);
    CHECK_INT_EQ(outbox_state_set(ob, "phase", "infusion"), 0);
    CHECK_INT_EQ(outbox_state_set(ob, "visit", "V-1042"), 0);
    outbox_close(ob);

    ob = outbox_open(path);
    REQUIRE(ob != NULL);
    CHECK_INT_EQ(outbox_count(ob), 2);
    s = each(ob, 2);
    REQUIRE(s.n == 2);
    CHECK_INT_EQ(s.seq[0], a);
    CHECK_STR_EQ(s.topic[0], "haven/room/chair-1/kiosk/call");
    CHECK_STR_EQ(s.payload[0], "{\"id\":\"k-1\"}");
    CHECK(!s.retain[0]);
    CHECK_INT_EQ(s.seq[1], c);
    CHECK_STR_EQ(s.topic[1], "haven/room/chair-1/kiosk/clear");
    outbox_state_get(ob, "phase", v, sizeof v);
    CHECK_STR_EQ(v, "infusion");
    outbox_state_get(ob, "visit", v, sizeof v);
    CHECK_STR_EQ(v, "V-1042");
    /* Numbers go on from where they were, after a reopen too. */
    CHECK(outbox_push(ob, "t", "{}", false) > c);
    outbox_close(ob);
}

/*
 * A kiosk killed right after the push (SIGKILL: no close, no checkpoint)
 * still has the message: outbox_push returns only once it is committed.
 */
static void test_survives_kill(void)
{
    const char *path = db_path("killed.db");
    struct outbox *ob;
    struct seen s;
    char v[64];
    int status = 0;
    pid_t pid = fork();

    REQUIRE(pid >= 0);
    if (pid == 0) {
        ob = outbox_open(path);
        if (!ob ||
            outbox_push(ob, "haven/room/chair-1/kiosk/call", "{\"id\":\"k-last\"}", false) <= 0 ||
            outbox_state_set(ob, "call_id", "k-last") != 0)
            _exit(1);
        raise(SIGKILL);
        _exit(2);
    }
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    ob = outbox_open(path);
    REQUIRE(ob != NULL);
    s = each(ob, 1);
    REQUIRE(s.n == 1);
    CHECK_STR_EQ(s.payload[0], "{\"id\":\"k-last\"}");
    outbox_state_get(ob, "call_id", v, sizeof v);
    CHECK_STR_EQ(v, "k-last");
    outbox_close(ob);
}

static void test_state(void)
{
    struct outbox *ob = outbox_open(db_path("state.db"));
    char v[64], small[4];

    REQUIRE(ob != NULL);
    strcpy(v, "junk");
    outbox_state_get(ob, "call_id", v, sizeof v);
    CHECK_STR_EQ(v, "");
    CHECK_INT_EQ(outbox_state_set(ob, "call_id", "k-7f3a"), 0);
    CHECK_INT_EQ(outbox_state_set(ob, "call_by", "Sam"), 0);
    outbox_state_get(ob, "call_id", v, sizeof v);
    CHECK_STR_EQ(v, "k-7f3a");
    outbox_state_get(ob, "call_by", v, sizeof v);
    CHECK_STR_EQ(v, "Sam");

    /* Overwrite; and "" is a value like any other. */
    CHECK_INT_EQ(outbox_state_set(ob, "call_id", "k-9b21"), 0);
    outbox_state_get(ob, "call_id", v, sizeof v);
    CHECK_STR_EQ(v, "k-9b21");
    CHECK_INT_EQ(outbox_state_set(ob, "call_by", ""), 0);
    outbox_state_get(ob, "call_by", v, sizeof v);
    CHECK_STR_EQ(v, "");
    /* NULL removes the key. */
    CHECK_INT_EQ(outbox_state_set(ob, "call_id", NULL), 0);
    outbox_state_get(ob, "call_id", v, sizeof v);
    CHECK_STR_EQ(v, "");

    /* Keys are exact; values are cut to fit the buffer, NUL-terminated. */
    CHECK_INT_EQ(outbox_state_set(ob, "lang", "es-MX"), 0);
    outbox_state_get(ob, "Lang", v, sizeof v);
    CHECK_STR_EQ(v, "");
    outbox_state_get(ob, "lang", small, sizeof small);
    CHECK_STR_EQ(small, "es-");
    outbox_state_get(ob, "lang", small, 0);       /* no room at all: nothing written */
    CHECK_STR_EQ(small, "es-");

    /* State and messages do not touch each other. */
    CHECK_INT_EQ(outbox_count(ob), 0);
    outbox_close(ob);
}

static void test_open_fails(void)
{
    char path[600];
    char *log;

    snprintf(path, sizeof path, "%s/no/such/dir/kiosk.db", unit_dir());
    unit_capture_begin();
    CHECK(outbox_open(path) == NULL);
    log = unit_capture_end();
    CHECK(strstr(log, "outbox") != NULL);           /* logged, naming the file */
    CHECK(strstr(log, path) != NULL);
    free(log);

    /* Not a database: refused, not overwritten. */
    unit_file("not.db", "this is not an SQLite database, but it is long enough to look at\n");
    unit_capture_begin();
    CHECK(outbox_open(db_path("not.db")) == NULL);
    free(unit_capture_end());
}

/* common/db.h's fault injection (its db_path would clash with this file's). */
struct db;
void db_fail_commits(struct db *db, int n);

/* Runs sql on a file with plain SQLite, as an older kiosk left it. */
static int raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db) == SQLITE_OK &&
             sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
    sqlite3_close(db);
    return rc;
}

struct taps { int n; char items[8][130]; };

static void tap_seen(void *ud, const struct run_event *ev)
{
    struct taps *t = ud;
    if (t->n < 8)
        snprintf(t->items[t->n], sizeof t->items[0], "%s=%s", ev->item, ev->value);
    t->n++;
}

static const char legacy_journal[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE taps(seq INTEGER PRIMARY KEY AUTOINCREMENT, visit TEXT NOT NULL,"
    " phase TEXT NOT NULL, kind TEXT NOT NULL, form INTEGER NOT NULL, item TEXT NOT NULL,"
    " value TEXT NOT NULL, ts_ms INTEGER NOT NULL);"
    "INSERT INTO taps(visit, phase, kind, form, item, value, ts_ms) VALUES"
    " ('V-7', 'intake', 'start', 0, '', '', 1), ('V-7', 'intake', 'answer', 0, 'food', 'no', 2),"
    " ('V-7', 'intake', 'answer', 0, 'escort', 'yes', 3);"
    "PRAGMA user_version=1;";

/*
 * Issue 15: a kiosk.db + journal.db pair an older kiosk left becomes one database at
 * the first start: the queued messages (a call that never reached the broker) and the
 * state stay, the form's taps are copied in, journal.db goes; a second start copies
 * nothing, and a crash between the copy and the removal does not copy twice.
 */
static void test_migrates_two_files(void)
{
    char kdb[600], jdb[600], side[620];
    struct outbox *ob;
    struct journal *j;
    struct seen s;
    struct taps t = { 0 };
    char v[64];

    snprintf(kdb, sizeof kdb, "%s", db_path("old-kiosk.db"));
    snprintf(jdb, sizeof jdb, "%s", db_path("old-journal.db"));
    REQUIRE(raw_exec(kdb, "PRAGMA journal_mode=WAL;"
                          "CREATE TABLE outbox(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                          " topic TEXT NOT NULL, payload TEXT NOT NULL,"
                          " retain INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL);"
                          "CREATE TABLE state(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                          "INSERT INTO outbox(topic, payload, retain, created_ms) VALUES"
                          " ('haven/room/chair-1/kiosk/call', '{\"id\":\"k-old\"}', 0, 5),"
                          " ('haven/room/chair-1/kiosk/checkin', '{\"id\":\"c-old\"}', 0, 6);"
                          "INSERT INTO state VALUES ('call_id', 'k-old'), ('visit', 'V-7');"
                          "PRAGMA user_version=1;") == 0);
    REQUIRE(raw_exec(jdb, legacy_journal) == 0);

    ob = outbox_open(kdb);
    REQUIRE(ob != NULL);
    CHECK_INT_EQ(outbox_count(ob), 2);                   /* nothing queued is lost */
    s = each(ob, 2);
    CHECK_STR_EQ(s.payload[0], "{\"id\":\"k-old\"}");
    CHECK_STR_EQ(s.payload[1], "{\"id\":\"c-old\"}");
    outbox_state_get(ob, "call_id", v, sizeof v);
    CHECK_STR_EQ(v, "k-old");
    CHECK_INT_EQ(outbox_import_journal(ob, jdb), 3);
    CHECK(access(jdb, F_OK) != 0);
    snprintf(side, sizeof side, "%s-wal", jdb);
    CHECK(access(side, F_OK) != 0);
    j = journal_on(outbox_db(ob));
    REQUIRE(j != NULL);
    CHECK_INT_EQ(journal_load(j, "V-7", PHASE_INTAKE, tap_seen, &t), 3);
    CHECK_STR_EQ(t.items[1], "food=no");
    CHECK_STR_EQ(t.items[2], "escort=yes");
    CHECK_INT_EQ(outbox_import_journal(ob, jdb), 0);      /* gone: nothing to do */
    journal_close(j);
    outbox_close(ob);

    /* A crash after the copy's commit, before the removal: the mark says copied. */
    REQUIRE(raw_exec(jdb, legacy_journal) == 0);
    REQUIRE(raw_exec(kdb, "INSERT INTO state VALUES ('journal_imported', '1');") == 0);
    ob = outbox_open(kdb);
    REQUIRE(ob != NULL);
    CHECK_INT_EQ(outbox_import_journal(ob, jdb), 0);
    CHECK(access(jdb, F_OK) != 0);
    j = journal_on(outbox_db(ob));
    t.n = 0;
    CHECK_INT_EQ(journal_load(j, "V-7", PHASE_INTAKE, tap_seen, &t), 3);   /* not 6 */
    outbox_state_get(ob, "journal_imported", v, sizeof v);
    CHECK_STR_EQ(v, "");
    CHECK_INT_EQ(outbox_count(ob), 2);
    journal_close(j);
    outbox_close(ob);
}

/* One intent, one transaction: pushes and state between begin and commit land together
 * or, when the commit fails, not at all. */
static void test_intent_transaction(void)
{
    struct outbox *ob = outbox_open(db_path("intent.db"));
    char v[64];

    REQUIRE(ob != NULL);
    CHECK_INT_EQ(outbox_begin(ob), 0);
    CHECK(outbox_push(ob, "t/call", "{}", false) > 0);
    CHECK_INT_EQ(outbox_state_set(ob, "call_id", "k-1"), 0);
    CHECK_INT_EQ(outbox_commit(ob), 0);
    CHECK_INT_EQ(outbox_count(ob), 1);

    db_fail_commits(outbox_db(ob), 1);
    CHECK_INT_EQ(outbox_begin(ob), 0);
    CHECK(outbox_push(ob, "t/call", "{}", false) > 0);
    CHECK_INT_EQ(outbox_state_set(ob, "call_id", "k-2"), 0);
    unit_capture_begin();
    CHECK_INT_EQ(outbox_commit(ob), HV_EDB);
    free(unit_capture_end());
    CHECK_INT_EQ(outbox_count(ob), 1);
    outbox_state_get(ob, "call_id", v, sizeof v);
    CHECK_STR_EQ(v, "k-1");
    outbox_close(ob);
}

/* Issue 14 part 2: a held message outlives outbox_done; outbox_confirm takes it. */
static int held_of(void *ud, const struct outbox_msg *m)
{
    char *out = ud;

    strcat(out, m->held ? m->held : "-");
    strcat(out, ";");
    return 0;
}

static void test_held_until_confirmed(void)
{
    struct outbox *ob = outbox_open(db_path("held.db"));
    char helds[128] = "";
    int64_t call, resp;

    REQUIRE(ob != NULL);
    call = outbox_push(ob, "t/call", "{\"id\":\"c-1\"}", false);
    resp = outbox_push_held(ob, "t/response", "{\"id\":\"r-1\"}", false, "r-1");
    REQUIRE(call > 0 && resp > call);
    CHECK_INT_EQ(outbox_held_count(ob), 1);
    CHECK_INT_EQ(outbox_each(ob, held_of, helds), 2);
    CHECK_STR_EQ(helds, "-;r-1;");
    CHECK_INT_EQ(outbox_done(ob, call), 0);
    CHECK_INT_EQ(outbox_done(ob, resp), 0);             /* PUBACK: a held one stays */
    CHECK_INT_EQ(outbox_count(ob), 1);
    CHECK_INT_EQ(outbox_confirm(ob, "c-1"), 0);         /* not held: nothing */
    outbox_close(ob);
    ob = outbox_open(db_path("held.db"));               /* a restart keeps it */
    REQUIRE(ob != NULL);
    CHECK_INT_EQ(outbox_held_count(ob), 1);
    CHECK_INT_EQ(outbox_confirm(ob, "r-1"), 1);
    CHECK_INT_EQ(outbox_confirm(ob, "r-1"), 0);         /* a second confirmation */
    CHECK_INT_EQ(outbox_count(ob), 0);
    outbox_close(ob);
}

/* A version 2 file (before held) gets the column, and what it queued is not held. */
static void test_migrates_version_2(void)
{
    char path[600];
    struct outbox *ob;

    snprintf(path, sizeof path, "%s", db_path("v2.db"));
    unlink(path);
    REQUIRE(raw_exec(path, "CREATE TABLE outbox(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                           " topic TEXT NOT NULL, payload TEXT NOT NULL,"
                           " retain INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL);"
                           "CREATE TABLE state(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                           "INSERT INTO outbox(topic, payload, created_ms) VALUES"
                           " ('t/response', '{\"id\":\"r-old\"}', 5);"
                           "PRAGMA user_version=2;") == 0);
    ob = outbox_open(path);
    REQUIRE(ob != NULL);
    CHECK_INT_EQ(outbox_count(ob), 1);
    CHECK_INT_EQ(outbox_held_count(ob), 0);
    CHECK(outbox_push_held(ob, "t/response", "{\"id\":\"r-new\"}", false, "r-new") > 0);
    CHECK_INT_EQ(outbox_held_count(ob), 1);
    outbox_close(ob);
}

int main(void)
{
    RUN(test_empty);
    RUN(test_push_each_done);
    RUN(test_each_reentrant);
    RUN(test_big_and_utf8);
    RUN(test_survives_reopen);
    RUN(test_survives_kill);
    RUN(test_state);
    RUN(test_open_fails);
    RUN(test_migrates_two_files);
    RUN(test_intent_transaction);
    RUN(test_held_until_confirmed);
    RUN(test_migrates_version_2);
    unit_cleanup();
    return CHECK_SUMMARY();
}
