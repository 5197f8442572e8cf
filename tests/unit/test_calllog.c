/* test_calllog.c - the SQLite call log (room/calllog.c). */
#include "calllog.h"
#include "check.h"
#include "db.h"
#include "err.h"
#include "unit_util.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define T0 1795000000000LL  /* some time in 2026 */

static struct logged_call make_call(const char *id, const char *room, int64_t raised)
{
    struct logged_call c;

    memset(&c, 0, sizeof c);
    snprintf(c.w.id, sizeof c.w.id, "%s", id);
    snprintf(c.w.room, sizeof c.w.room, "%s", room);
    snprintf(c.w.label, sizeof c.w.label, "Label %s", room);
    c.w.priority = PRIO_ASSIST;
    c.w.reason = REASON_HELP;
    c.w.state = CALL_OPEN;
    c.w.raised_ms = raised;
    c.base_ms = c.timer_ms = raised;
    snprintf(c.group, sizeof c.group, "nurses");
    return c;
}

/* Collects every open call (up to 16). */
struct open_list {
    struct logged_call calls[16];
    int n;
    int stop_after;  /* 0: all */
};

static int collect_open(void *ud, const struct logged_call *c)
{
    struct open_list *l = ud;
    if (l->n < 16)
        l->calls[l->n] = *c;
    l->n++;
    return l->stop_after && l->n >= l->stop_after;
}

static struct open_list open_calls(calllog *log)
{
    struct open_list l;

    memset(&l, 0, sizeof l);
    CHECK_INT_EQ(calllog_each_open(log, collect_open, &l), 0);
    return l;
}

static void check_same(const struct logged_call *a, const struct logged_call *b)
{
    CHECK_STR_EQ(a->w.id, b->w.id);
    CHECK_STR_EQ(a->w.room, b->w.room);
    CHECK_STR_EQ(a->w.label, b->w.label);
    CHECK_INT_EQ(a->w.priority, b->w.priority);
    CHECK_INT_EQ(a->w.reason, b->w.reason);
    CHECK_INT_EQ(a->w.state, b->w.state);
    CHECK_INT_EQ(a->w.raised_ms, b->w.raised_ms);
    CHECK_INT_EQ(a->w.acknowledged_ms, b->w.acknowledged_ms);
    CHECK_STR_EQ(a->w.by, b->w.by);
    CHECK_INT_EQ(a->w.escalation, b->w.escalation);
    CHECK_STR_EQ(a->w.detail, b->w.detail);
    CHECK_INT_EQ(a->step, b->step);
    CHECK_INT_EQ(a->base_ms, b->base_ms);
    CHECK_INT_EQ(a->timer_ms, b->timer_ms);
    CHECK_STR_EQ(a->group, b->group);
}

/* ---- calls ---------------------------------------------------------------------- */

static void test_insert_update_clear(void)
{
    calllog *log = calllog_open(":memory:");
    struct logged_call a = make_call("c-a", "chair-1", T0 + 2000);
    struct logged_call b = make_call("c-b", "chair-2", T0 + 1000);
    struct open_list l;

    REQUIRE(log != NULL);
    l = open_calls(log);
    CHECK_INT_EQ(l.n, 0);

    snprintf(a.w.detail, sizeof a.w.detail, "it's \"cold\"");
    b.w.priority = PRIO_URGENT;
    b.w.reason = REASON_SAFETY;
    CHECK_INT_EQ(calllog_insert(log, &a), 0);
    CHECK_INT_EQ(calllog_insert(log, &b), 0);
    CHECK(calllog_insert(log, &a) == HV_EDB);  /* same id twice */
    l = open_calls(log);
    REQUIRE(l.n == 2);
    check_same(&l.calls[0], &b);  /* ordered by raised time */
    check_same(&l.calls[1], &a);

    /* Every field an update may change comes back. */
    a.w.state = CALL_ACKNOWLEDGED;
    a.w.acknowledged_ms = T0 + 9000;
    snprintf(a.w.by, sizeof a.w.by, "nurse-7");
    a.w.escalation = 4;
    a.w.priority = PRIO_URGENT;
    a.w.reason = REASON_UNWELL;
    snprintf(a.w.detail, sizeof a.w.detail, "upgraded");
    a.step = 1;
    a.base_ms = T0 + 5000;
    a.timer_ms = T0 + 9000;
    snprintf(a.group, sizeof a.group, "charge");
    CHECK_INT_EQ(calllog_update(log, &a), 0);
    l = open_calls(log);
    REQUIRE(l.n == 2);
    check_same(&l.calls[1], &a);
    check_same(&l.calls[0], &b);

    /* Cleared calls are no longer open; clearing twice changes nothing. */
    CHECK_INT_EQ(calllog_clear(log, "c-b", T0 + 10000, "nurse-3", NULL, "bedside"), 0);
    l = open_calls(log);
    REQUIRE(l.n == 1);
    CHECK_STR_EQ(l.calls[0].w.id, "c-a");
    CHECK_INT_EQ(calllog_clear(log, "c-b", T0 + 20000, NULL, NULL, "nurse"), 0);
    CHECK_INT_EQ(calllog_clear(log, "c-a", T0 + 20000, NULL, NULL, "kiosk_online"), 0);
    l = open_calls(log);
    CHECK_INT_EQ(l.n, 0);

    /* fn returning nonzero stops the walk. */
    {
        struct logged_call c1 = make_call("c-1", "r1", T0 + 1), c2 = make_call("c-2", "r2", T0 + 2);
        CHECK_INT_EQ(calllog_insert(log, &c1), 0);
        CHECK_INT_EQ(calllog_insert(log, &c2), 0);
        memset(&l, 0, sizeof l);
        l.stop_after = 1;
        CHECK_INT_EQ(calllog_each_open(log, collect_open, &l), 0);
        CHECK_INT_EQ(l.n, 1);
    }
    calllog_close(log);
}

/* ---- events ---------------------------------------------------------------------- */

struct undelivered {
    int64_t seq[16];
    char group[16][HV_NAME_MAX];
    int n;
};

static void collect_undelivered(void *ud, int64_t seq, const char *group)
{
    struct undelivered *u = ud;
    if (u->n < 16) {
        u->seq[u->n] = seq;
        snprintf(u->group[u->n], HV_NAME_MAX, "%s", group);
    }
    u->n++;
}

static void test_events_delivered(void)
{
    calllog *log = calllog_open(":memory:");
    struct logged_call a = make_call("c-a", "chair-1", T0);
    struct undelivered u;
    int64_t s1, s2, s3, s4, s5;

    REQUIRE(log != NULL);
    REQUIRE(calllog_insert(log, &a) == 0);  /* its "raised" event has no group */
    s1 = calllog_event(log, "c-a", T0, "page", "nurses", NULL, 0);
    s2 = calllog_event(log, "c-a", T0 + 10, "escalated", "charge", NULL, 1);
    s3 = calllog_event(log, "c-a", T0 + 20, "acknowledged", NULL, "nurse-7", 1);
    s4 = calllog_event(log, "c-a", T0 + 30, "reminder", "charge", NULL, 1);
    s5 = calllog_event(log, "c-other", T0 + 40, "page", "nurses", NULL, 0);
    CHECK(s1 > 0);
    CHECK(s2 > s1);
    CHECK(s3 > s2);
    CHECK(s4 > s3);
    CHECK(s5 > s4);

    memset(&u, 0, sizeof u);
    CHECK_INT_EQ(calllog_each_undelivered(log, "c-a", collect_undelivered, &u), 0);
    REQUIRE(u.n == 3);  /* pages only: not raised, not acknowledged, not another call's */
    CHECK_INT_EQ(u.seq[0], s1);
    CHECK_STR_EQ(u.group[0], "nurses");
    CHECK_INT_EQ(u.seq[1], s2);
    CHECK_STR_EQ(u.group[1], "charge");
    CHECK_INT_EQ(u.seq[2], s4);

    CHECK_INT_EQ(calllog_delivered(log, s1), 0);
    CHECK_INT_EQ(calllog_delivered(log, s4), 0);
    CHECK_INT_EQ(calllog_delivered(log, s4), 0);    /* twice is fine */
    CHECK_INT_EQ(calllog_delivered(log, 999999), 0);  /* unknown: nothing to do */
    memset(&u, 0, sizeof u);
    CHECK_INT_EQ(calllog_each_undelivered(log, "c-a", collect_undelivered, &u), 0);
    REQUIRE(u.n == 1);
    CHECK_INT_EQ(u.seq[0], s2);
    CHECK_STR_EQ(u.group[0], "charge");

    memset(&u, 0, sizeof u);
    CHECK_INT_EQ(calllog_each_undelivered(log, "c-none", collect_undelivered, &u), 0);
    CHECK_INT_EQ(u.n, 0);
    calllog_close(log);
}

/* ---- aliases ---------------------------------------------------------------------- */

struct alias_list {
    char ids[8][HV_ID_MAX];
    int n;
};

static void collect_alias(void *ud, const char *alias)
{
    struct alias_list *l = ud;
    if (l->n < 8)
        snprintf(l->ids[l->n], HV_ID_MAX, "%s", alias);
    l->n++;
}

static void test_aliases_known(void)
{
    calllog *log = calllog_open(":memory:");
    struct logged_call a = make_call("c-a", "chair-1", T0);
    struct alias_list l;
    char primary[HV_ID_MAX];

    REQUIRE(log != NULL);
    CHECK_INT_EQ(calllog_known(log, "c-a", primary), 0);
    REQUIRE(calllog_insert(log, &a) == 0);
    strcpy(primary, "x");
    CHECK_INT_EQ(calllog_known(log, "c-a", primary), 1);
    CHECK_STR_EQ(primary, "c-a");
    CHECK_INT_EQ(calllog_known(log, "c-a", NULL), 1);

    CHECK_INT_EQ(calllog_add_alias(log, "c-a2", "c-a"), 0);
    CHECK_INT_EQ(calllog_add_alias(log, "c-a3", "c-a"), 0);
    CHECK_INT_EQ(calllog_add_alias(log, "c-a2", "c-a"), 0);  /* again: ignored */
    strcpy(primary, "x");
    CHECK_INT_EQ(calllog_known(log, "c-a3", primary), 1);
    CHECK_STR_EQ(primary, "c-a");
    CHECK_INT_EQ(calllog_known(log, "c-a4", primary), 0);
    CHECK_INT_EQ(calllog_known(log, "C-A", primary), 0);

    memset(&l, 0, sizeof l);
    CHECK_INT_EQ(calllog_each_alias(log, "c-a", collect_alias, &l), 0);
    REQUIRE(l.n == 2);
    CHECK((strcmp(l.ids[0], "c-a2") == 0 && strcmp(l.ids[1], "c-a3") == 0) ||
          (strcmp(l.ids[0], "c-a3") == 0 && strcmp(l.ids[1], "c-a2") == 0));
    memset(&l, 0, sizeof l);
    CHECK_INT_EQ(calllog_each_alias(log, "c-a2", collect_alias, &l), 0);
    CHECK_INT_EQ(l.n, 0);

    /* Known stays known after the call is cleared (late duplicates are recognised). */
    CHECK_INT_EQ(calllog_clear(log, "c-a", T0 + 5, NULL, NULL, "bedside"), 0);
    CHECK_INT_EQ(calllog_known(log, "c-a", primary), 1);
    CHECK_INT_EQ(calllog_known(log, "c-a2", primary), 1);
    CHECK_STR_EQ(primary, "c-a");
    calllog_close(log);
}

/* ---- rooms ---------------------------------------------------------------------- */

static void test_rooms(void)
{
    calllog *log = calllog_open(":memory:");
    int online = 5, phase = 5;

    REQUIRE(log != NULL);
    CHECK_INT_EQ(calllog_get_room(log, "chair-1", &online, &phase), 0);
    CHECK_INT_EQ(online, -1);
    CHECK_INT_EQ(phase, -1);

    CHECK_INT_EQ(calllog_set_room(log, "chair-1", 1, PHASE_INFUSION, T0), 0);
    CHECK_INT_EQ(calllog_get_room(log, "chair-1", &online, &phase), 0);
    CHECK_INT_EQ(online, 1);
    CHECK_INT_EQ(phase, PHASE_INFUSION);

    /* phase -1 keeps the stored phase */
    CHECK_INT_EQ(calllog_set_room(log, "chair-1", 0, -1, T0 + 1), 0);
    CHECK_INT_EQ(calllog_get_room(log, "chair-1", &online, &phase), 0);
    CHECK_INT_EQ(online, 0);
    CHECK_INT_EQ(phase, PHASE_INFUSION);

    CHECK_INT_EQ(calllog_set_room(log, "chair-1", 1, PHASE_IDLE, T0 + 2), 0);
    CHECK_INT_EQ(calllog_get_room(log, "chair-1", &online, &phase), 0);
    CHECK_INT_EQ(online, 1);
    CHECK_INT_EQ(phase, PHASE_IDLE);

    /* a first record without a phase */
    CHECK_INT_EQ(calllog_set_room(log, "chair-2", 0, -1, T0), 0);
    CHECK_INT_EQ(calllog_get_room(log, "chair-2", &online, &phase), 0);
    CHECK_INT_EQ(online, 0);
    CHECK_INT_EQ(phase, -1);
    /* rooms are separate */
    CHECK_INT_EQ(calllog_get_room(log, "chair-1", &online, &phase), 0);
    CHECK_INT_EQ(online, 1);
    calllog_close(log);
}

/* ---- durability ---------------------------------------------------------------------- */

static void test_file_reopen(void)
{
    char path[600];
    calllog *log;
    struct logged_call a = make_call("c-a", "chair-1", T0);
    struct open_list l;
    int online, phase;

    snprintf(path, sizeof path, "%s/calls.db", unit_dir());
    log = calllog_open(path);
    REQUIRE(log != NULL);
    calllog_begin(log);
    CHECK_INT_EQ(calllog_insert(log, &a), 0);
    CHECK(calllog_event(log, "c-a", T0, "page", "nurses", NULL, 0) > 0);
    calllog_commit(log);
    CHECK_INT_EQ(calllog_add_alias(log, "c-b", "c-a"), 0);
    CHECK_INT_EQ(calllog_set_room(log, "chair-1", 0, PHASE_RECOVERY, T0), 0);
    calllog_close(log);

    log = calllog_open(path);
    REQUIRE(log != NULL);
    l = open_calls(log);
    REQUIRE(l.n == 1);
    check_same(&l.calls[0], &a);
    CHECK_INT_EQ(calllog_known(log, "c-b", NULL), 1);
    CHECK_INT_EQ(calllog_get_room(log, "chair-1", &online, &phase), 0);
    CHECK_INT_EQ(online, 0);
    CHECK_INT_EQ(phase, PHASE_RECOVERY);
    calllog_close(log);

    snprintf(path, sizeof path, "%s/no/such/dir/calls.db", unit_dir());
    unit_capture_begin();
    log = calllog_open(path);
    free(unit_capture_end());
    CHECK(log == NULL);
    calllog_close(NULL);
}

/* A call log written before issue 12 (user_version 1, no ack_via/cleared_via) opens, keeps its
 * open call, and takes the new columns. */
static void test_old_log_opens(void)
{
    static const char v1[] =
        "CREATE TABLE calls(id TEXT PRIMARY KEY, room TEXT NOT NULL, label TEXT NOT NULL,"
        "  reason TEXT NOT NULL, priority TEXT NOT NULL, state TEXT NOT NULL,"
        "  detail TEXT NOT NULL DEFAULT '', raised_ms INTEGER NOT NULL, acknowledged_ms INTEGER,"
        "  ack_by TEXT, cleared_ms INTEGER, cleared_by TEXT, clear_source TEXT,"
        "  escalation INTEGER NOT NULL DEFAULT 0, step INTEGER NOT NULL DEFAULT 0,"
        "  base_ms INTEGER NOT NULL, timer_ms INTEGER NOT NULL, grp TEXT NOT NULL DEFAULT '');"
        "CREATE TABLE aliases(alias TEXT PRIMARY KEY, call_id TEXT NOT NULL);"
        "CREATE TABLE events(seq INTEGER PRIMARY KEY, call_id TEXT NOT NULL,"
        "  ts_ms INTEGER NOT NULL, kind TEXT NOT NULL, grp TEXT, who TEXT, escalation INTEGER,"
        "  delivered INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE rooms(room TEXT PRIMARY KEY, online INTEGER, phase TEXT, ts_ms INTEGER);"
        "INSERT INTO calls(id, room, label, reason, priority, state, raised_ms, acknowledged_ms,"
        "  ack_by, base_ms, timer_ms, grp) VALUES('old-1', 'chair-1', 'Chair 1', 'help',"
        "  'assist', 'acknowledged', 1000, 2000, 'Sam', 1000, 2000, 'nurses');"
        "PRAGMA user_version=1;";
    char path[600];
    sqlite3 *db = NULL;
    calllog *log;
    struct open_list l;

    snprintf(path, sizeof path, "%s/old.db", unit_dir());
    REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, v1, NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);

    log = calllog_open(path);
    REQUIRE(log != NULL);
    l = open_calls(log);
    REQUIRE(l.n == 1);
    CHECK_STR_EQ(l.calls[0].w.id, "old-1");
    CHECK_STR_EQ(l.calls[0].w.by, "Sam");
    CHECK_STR_EQ(l.calls[0].w.via, "");
    snprintf(l.calls[0].w.via, sizeof l.calls[0].w.via, "station");
    CHECK_INT_EQ(calllog_update(log, &l.calls[0]), 0);
    CHECK_INT_EQ(calllog_clear(log, "old-1", 3000, "Sam", "station", "nurse"), 0);
    CHECK_INT_EQ(open_calls(log).n, 0);
    calllog_close(log);
}

/* ---- concerns (issue 14) ------------------------------------------------------------ */

struct concern_list {
    struct contract_concern k[8];
    int n;
};

static void collect_concern(void *ud, const struct contract_concern *k)
{
    struct concern_list *l = ud;
    if (l->n < 8)
        l->k[l->n] = *k;
    l->n++;
}

static struct concern_list concerns_of(calllog *log, const char *id)
{
    struct concern_list l;

    memset(&l, 0, sizeof l);
    CHECK_INT_EQ(calllog_each_concern(log, id, collect_concern, &l), 0);
    return l;
}

static struct contract_concern concern(enum call_reason r, enum priority p, int64_t ms,
                                       const char *detail)
{
    struct contract_concern k = { .reason = r, .priority = p, .raised_ms = ms };
    snprintf(k.detail, sizeof k.detail, "%s", detail);
    return k;
}

/* Every concern of a call is kept, in the order raised, across a reopen and a clear. */
static void test_concerns_kept(void)
{
    char path[600];
    struct logged_call c = make_call("k-1", "chair-1", T0);
    struct contract_concern a = concern(REASON_HELP, PRIO_ROUTINE, T0, "ate in the last 3 hours");
    struct contract_concern b = concern(REASON_HELP, PRIO_ASSIST, T0 + 5000, "chest pain");
    struct contract_concern d = concern(REASON_SAFETY, PRIO_URGENT, T0 + 6000, "");
    calllog *log;
    struct concern_list l;

    snprintf(path, sizeof path, "%s/concerns.db", unit_dir());
    remove(path);
    log = calllog_open(path);
    REQUIRE(log != NULL);
    CHECK_INT_EQ(calllog_insert(log, &c), 0);
    CHECK_INT_EQ(calllog_add_concern(log, "k-1", &a), 0);
    CHECK_INT_EQ(calllog_begin(log), 0);
    CHECK_INT_EQ(calllog_add_concern(log, "k-1", &b), 0);
    CHECK_INT_EQ(calllog_add_concern(log, "k-1", &d), 0);
    CHECK_INT_EQ(calllog_commit(log), 0);
    CHECK_INT_EQ(concerns_of(log, "other").n, 0);
    calllog_close(log);

    log = calllog_open(path);
    REQUIRE(log != NULL);
    l = concerns_of(log, "k-1");
    REQUIRE(l.n == 3);
    CHECK_STR_EQ(l.k[0].detail, "ate in the last 3 hours");
    CHECK_INT_EQ(l.k[0].priority, PRIO_ROUTINE);
    CHECK_INT_EQ(l.k[0].raised_ms, T0);
    CHECK_STR_EQ(l.k[1].detail, "chest pain");
    CHECK_INT_EQ(l.k[1].priority, PRIO_ASSIST);
    CHECK_INT_EQ(l.k[1].reason, REASON_HELP);
    CHECK_INT_EQ(l.k[1].raised_ms, T0 + 5000);
    CHECK_STR_EQ(l.k[2].detail, "");
    CHECK_INT_EQ(l.k[2].reason, REASON_SAFETY);
    CHECK_INT_EQ(calllog_clear(log, "k-1", T0 + 9000, "Sam", NULL, "bedside"), 0);
    CHECK_INT_EQ(concerns_of(log, "k-1").n, 3);  /* the record keeps them */
    calllog_close(log);
}

/*
 * A version-2 log (issue 12/13 layout, no concerns table) migrates to version 3:
 * each call's reason, priority and detail become its one concern, once.
 */
static void test_v2_log_migrates_concerns(void)
{
    static const char v2[] =
        "CREATE TABLE calls(id TEXT PRIMARY KEY, room TEXT NOT NULL, label TEXT NOT NULL,"
        "  reason TEXT NOT NULL, priority TEXT NOT NULL, state TEXT NOT NULL,"
        "  detail TEXT NOT NULL DEFAULT '', raised_ms INTEGER NOT NULL, acknowledged_ms INTEGER,"
        "  ack_by TEXT, cleared_ms INTEGER, cleared_by TEXT, clear_source TEXT,"
        "  escalation INTEGER NOT NULL DEFAULT 0, step INTEGER NOT NULL DEFAULT 0,"
        "  base_ms INTEGER NOT NULL, timer_ms INTEGER NOT NULL, grp TEXT NOT NULL DEFAULT '',"
        "  ack_via TEXT, cleared_via TEXT);"
        "CREATE TABLE aliases(alias TEXT PRIMARY KEY, call_id TEXT NOT NULL);"
        "CREATE TABLE events(seq INTEGER PRIMARY KEY, call_id TEXT NOT NULL,"
        "  ts_ms INTEGER NOT NULL, kind TEXT NOT NULL, grp TEXT, who TEXT, escalation INTEGER,"
        "  delivered INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE rooms(room TEXT PRIMARY KEY, online INTEGER, phase TEXT, ts_ms INTEGER);"
        "CREATE TABLE marks(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
        "INSERT INTO calls(id, room, label, reason, priority, state, detail, raised_ms,"
        "  base_ms, timer_ms, grp) VALUES('v2-open', 'chair-1', 'Chair 1', 'help', 'routine',"
        "  'open', 'ate in the last 3 hours', 1000, 1000, 1000, 'nurses');"
        "INSERT INTO calls(id, room, label, reason, priority, state, raised_ms, base_ms, timer_ms,"
        "  cleared_ms) VALUES('v2-done', 'chair-2', 'Chair 2', 'safety', 'urgent', 'open',"
        "  500, 500, 500, 900);"
        "PRAGMA user_version=2;";
    char path[600];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    calllog *log;
    struct concern_list l;
    struct contract_concern b = concern(REASON_HELP, PRIO_ASSIST, 2000, "chest pain");

    snprintf(path, sizeof path, "%s/v2.db", unit_dir());
    remove(path);
    REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, v2, NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);

    log = calllog_open(path);
    REQUIRE(log != NULL);
    l = concerns_of(log, "v2-open");
    REQUIRE(l.n == 1);
    CHECK_INT_EQ(l.k[0].reason, REASON_HELP);
    CHECK_INT_EQ(l.k[0].priority, PRIO_ROUTINE);
    CHECK_INT_EQ(l.k[0].raised_ms, 1000);
    CHECK_STR_EQ(l.k[0].detail, "ate in the last 3 hours");
    l = concerns_of(log, "v2-done");
    REQUIRE(l.n == 1);
    CHECK_INT_EQ(l.k[0].priority, PRIO_URGENT);
    CHECK_INT_EQ(calllog_add_concern(log, "v2-open", &b), 0);
    calllog_close(log);

    log = calllog_open(path);  /* again: no second copy of the backfill */
    REQUIRE(log != NULL);
    l = concerns_of(log, "v2-open");
    REQUIRE(l.n == 2);
    CHECK_STR_EQ(l.k[1].detail, "chest pain");
    calllog_close(log);
    REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
    REQUIRE(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    CHECK_INT_EQ(sqlite3_column_int(st, 0), 3);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* Size of the file at path in bytes, or -1. */
static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Writes n calls (insert + page event + clear), checkpointing every `every` calls (0: never). */
static void write_calls(calllog *log, int n, int every, const char *tag)
{
    char id[32];

    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "%s-%d", tag, i);
        struct logged_call c = make_call(id, "chair-1", T0 + i);
        calllog_begin(log);
        calllog_insert(log, &c);
        calllog_event(log, id, T0 + i, "page", "nurses", NULL, 0);
        calllog_commit(log);
        calllog_clear(log, id, T0 + i + 1, "Sam", NULL, "bedside");
        if (every && i % every == every - 1)
            calllog_checkpoint(log);
    }
}

/*
 * Automatic checkpoints are off (their fsyncs would land on the call path), so
 * without calllog_checkpoint() the write-ahead log only grows; with it, the log
 * is recycled and stays small.
 */
static void test_checkpoint_bounds_wal(void)
{
    char db[600], wal[620];
    calllog *log;
    long grown, bounded;

    snprintf(db, sizeof db, "%s/wal-a.db", unit_dir());
    snprintf(wal, sizeof wal, "%s-wal", db);
    log = calllog_open(db);
    REQUIRE(log != NULL);
    write_calls(log, 400, 0, "a");
    grown = file_size(wal);
    calllog_close(log);

    snprintf(db, sizeof db, "%s/wal-b.db", unit_dir());
    snprintf(wal, sizeof wal, "%s-wal", db);
    log = calllog_open(db);
    REQUIRE(log != NULL);
    write_calls(log, 400, 10, "b");
    bounded = file_size(wal);
    struct open_list l = open_calls(log);
    CHECK_INT_EQ(l.n, 0);
    CHECK_INT_EQ(calllog_known(log, "b-399", NULL), 1);
    calllog_close(log);

    CHECK(grown > 1000 * 4096);           /* past SQLite's default autocheckpoint */
    CHECK(bounded >= 0 && bounded < grown / 4);  /* 0 after a TRUNCATE checkpoint */
}

/* ---- report ---------------------------------------------------------------------- */

static void add_report_call(calllog *log, const char *id, const char *room, int64_t raised,
                            double ack_s, enum priority prio)
{
    struct logged_call c = make_call(id, room, raised);

    c.w.priority = prio;
    CHECK_INT_EQ(calllog_insert(log, &c), 0);
    if (ack_s >= 0) {
        c.w.state = CALL_ACKNOWLEDGED;
        c.w.acknowledged_ms = raised + (int64_t)(ack_s * 1000);
        snprintf(c.w.by, sizeof c.w.by, "n");
        CHECK_INT_EQ(calllog_update(log, &c), 0);
    }
}

static void test_report(void)
{
    calllog *log = calllog_open(":memory:");
    /* chair-1's ten acknowledged calls, in raising order; sorted they are
     * 3 5 8 9 12 17 25 30 40 60: p50 is the 5th (12), p90 the 9th (40). */
    static const double acks[10] = { 5, 12, 3, 40, 8, 25, 17, 60, 9, 30 };
    const int64_t since = T0;
    struct report_row *rows = NULL;
    int n;
    char id[32];

    REQUIRE(log != NULL);
    for (int i = 0; i < 10; i++) {
        snprintf(id, sizeof id, "c1-%d", i);
        add_report_call(log, id, "chair-1", since + i * 100000, acks[i],
                        i % 4 == 0 ? PRIO_URGENT : PRIO_ASSIST);  /* 0, 4, 8: urgent */
    }
    add_report_call(log, "c1-open", "chair-1", since + 2000000, -1, PRIO_ROUTINE);
    add_report_call(log, "c1-open2", "chair-1", since + 2100000, -1, PRIO_URGENT);
    CHECK_INT_EQ(calllog_clear(log, "c1-open2", since + 2200000, NULL, NULL, "bedside"), 0);
    /* Before the cut-off: not counted (it would be chair-1's worst). */
    add_report_call(log, "c1-old", "chair-1", since - 1, 1000, PRIO_URGENT);
    add_report_call(log, "c0-old", "chair-0", since - 5000, 1, PRIO_ASSIST);
    add_report_call(log, "c2-1", "chair-2", since + 5, 7.5, PRIO_ASSIST);
    add_report_call(log, "c3-1", "chair-3", since + 5, -1, PRIO_ROUTINE);

    n = calllog_report(log, since, &rows);
    REQUIRE(n == 3);
    REQUIRE(rows != NULL);
    CHECK_STR_EQ(rows[0].room, "chair-1");
    CHECK_INT_EQ(rows[0].calls, 12);
    CHECK_INT_EQ(rows[0].acknowledged, 10);
    CHECK_INT_EQ(rows[0].urgent, 4);
    CHECK_DBL_NEAR(rows[0].p50_s, 12, 1e-9);
    CHECK_DBL_NEAR(rows[0].p90_s, 40, 1e-9);
    CHECK_DBL_NEAR(rows[0].max_s, 60, 1e-9);
    CHECK_STR_EQ(rows[1].room, "chair-2");
    CHECK_INT_EQ(rows[1].calls, 1);
    CHECK_INT_EQ(rows[1].acknowledged, 1);
    CHECK_INT_EQ(rows[1].urgent, 0);
    CHECK_DBL_NEAR(rows[1].p50_s, 7.5, 1e-9);
    CHECK_DBL_NEAR(rows[1].p90_s, 7.5, 1e-9);
    CHECK_DBL_NEAR(rows[1].max_s, 7.5, 1e-9);
    CHECK_STR_EQ(rows[2].room, "chair-3");
    CHECK_INT_EQ(rows[2].calls, 1);
    CHECK_INT_EQ(rows[2].acknowledged, 0);
    CHECK_DBL_NEAR(rows[2].p50_s, -1, 0);
    CHECK_DBL_NEAR(rows[2].p90_s, -1, 0);
    CHECK_DBL_NEAR(rows[2].max_s, -1, 0);
    free(rows);

    /* An earlier cut-off takes the old calls in. */
    n = calllog_report(log, since - 10000, &rows);
    REQUIRE(n == 4);
    CHECK_STR_EQ(rows[0].room, "chair-0");
    CHECK_STR_EQ(rows[1].room, "chair-1");
    CHECK_INT_EQ(rows[1].calls, 13);
    CHECK_INT_EQ(rows[1].urgent, 5);
    CHECK_DBL_NEAR(rows[1].max_s, 1000, 1e-9);
    CHECK_DBL_NEAR(rows[1].p50_s, 17, 1e-9);   /* 11 values: the 6th */
    CHECK_DBL_NEAR(rows[1].p90_s, 60, 1e-9);   /* the 10th */
    free(rows);

    /* A later one: nothing. */
    rows = (struct report_row *)&n;
    CHECK_INT_EQ(calllog_report(log, since + 100000000, &rows), 0);
    CHECK(rows == NULL);
    calllog_close(log);
}

/* No call acknowledged at all: every percentile is -1. */
static void test_report_none_acknowledged(void)
{
    calllog *log = calllog_open(":memory:");
    struct report_row *rows = NULL;
    int n;

    REQUIRE(log != NULL);
    add_report_call(log, "c-1", "chair-1", T0, -1, PRIO_URGENT);
    add_report_call(log, "c-2", "chair-1", T0 + 1, -1, PRIO_ASSIST);
    add_report_call(log, "c-3", "chair-2", T0 + 2, -1, PRIO_ROUTINE);
    n = calllog_report(log, T0, &rows);
    REQUIRE(n == 2);
    CHECK_INT_EQ(rows[0].calls, 2);
    CHECK_INT_EQ(rows[0].acknowledged, 0);
    CHECK_INT_EQ(rows[0].urgent, 1);
    CHECK_DBL_NEAR(rows[0].p50_s, -1, 0);
    CHECK_DBL_NEAR(rows[0].max_s, -1, 0);
    CHECK_DBL_NEAR(rows[1].p90_s, -1, 0);
    free(rows);
    calllog_close(log);
}

/* Many rooms and many times: the row and time buffers grow. */
static void test_report_large(void)
{
    calllog *log = calllog_open(":memory:");
    struct report_row *rows = NULL;
    char id[32], room[16];
    int n;

    REQUIRE(log != NULL);
    calllog_begin(log);
    for (int r = 0; r < 40; r++)
        for (int i = 0; i < (r == 7 ? 200 : 2); i++) {
            snprintf(id, sizeof id, "c-%d-%d", r, i);
            snprintf(room, sizeof room, "r%02d", r);
            add_report_call(log, id, room, T0 + i, r == 7 ? i + 1 : 1, PRIO_ASSIST);
        }
    calllog_commit(log);
    n = calllog_report(log, T0, &rows);
    REQUIRE(n == 40);
    CHECK_STR_EQ(rows[7].room, "r07");
    CHECK_INT_EQ(rows[7].calls, 200);
    CHECK_DBL_NEAR(rows[7].p50_s, 100, 1e-9);
    CHECK_DBL_NEAR(rows[7].p90_s, 180, 1e-9);
    CHECK_DBL_NEAR(rows[7].max_s, 200, 1e-9);
    CHECK_DBL_NEAR(rows[39].max_s, 1, 1e-9);
    free(rows);
    calllog_close(log);
}

static void test_percentile_sorted(void)
{
    const double v[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
    const double one[1] = { 42 };
    const double two[2] = { 1, 9 };

    CHECK_DBL_NEAR(percentile_sorted(v, 0, 0.5), -1, 0);
    CHECK_DBL_NEAR(percentile_sorted(NULL, 0, 0.9), -1, 0);
    CHECK_DBL_NEAR(percentile_sorted(one, 1, 0.01), 42, 0);
    CHECK_DBL_NEAR(percentile_sorted(one, 1, 0.5), 42, 0);
    CHECK_DBL_NEAR(percentile_sorted(one, 1, 1.0), 42, 0);
    CHECK_DBL_NEAR(percentile_sorted(two, 2, 0.5), 1, 0);
    CHECK_DBL_NEAR(percentile_sorted(two, 2, 0.51), 9, 0);
    CHECK_DBL_NEAR(percentile_sorted(v, 10, 0.5), 5, 0);
    CHECK_DBL_NEAR(percentile_sorted(v, 10, 0.9), 9, 0);
    CHECK_DBL_NEAR(percentile_sorted(v, 10, 0.91), 10, 0);
    CHECK_DBL_NEAR(percentile_sorted(v, 10, 1.0), 10, 0);
    CHECK_DBL_NEAR(percentile_sorted(v, 10, 0.1), 1, 0);
    CHECK_DBL_NEAR(percentile_sorted(v, 10, 0.11), 2, 0);
    CHECK_DBL_NEAR(percentile_sorted(v, 10, 0.0), 1, 0);   /* clamped to the first */
    CHECK_DBL_NEAR(percentile_sorted(v, 10, 1.5), 10, 0);  /* clamped to the last */
    CHECK_DBL_NEAR(percentile_sorted(v, 9, 0.5), 5, 0);    /* ceil(4.5) = 5th */
}

/* ---- the report by priority and shift (issue 13) ---- */

#define D0 (T0 - T0 % 86400000)   /* a UTC midnight (the test runs with TZ=UTC) */
#define H(h) ((int64_t)(h) * 3600000)

/* A call raised at raised, acknowledged ack_s later (-1: never), cleared clear_s later
 * (-1: never). */
static void add_shift_call(calllog *log, const char *id, const char *room, int64_t raised,
                           double ack_s, double clear_s, enum priority prio)
{
    add_report_call(log, id, room, raised, ack_s, prio);
    if (clear_s >= 0)
        CHECK_INT_EQ(calllog_clear(log, id, raised + (int64_t)(clear_s * 1000), "n", NULL,
                                   "bedside"), 0);
}

static struct report_query shift_query(void)
{
    struct report_query q = {
        .since_ms = D0, .until_ms = D0 + H(24),
        .day_starts_min = 7 * 60, .night_starts_min = 19 * 60,
        .target_s = { [PRIO_ROUTINE] = 600, [PRIO_ASSIST] = 180, [PRIO_URGENT] = 60 },
    };
    return q;
}

static void test_report_shifts(void)
{
    calllog *log = calllog_open(":memory:");
    struct report_query q = shift_query();
    struct report_cell *c = NULL;
    int n;

    setenv("TZ", "UTC", 1);
    tzset();
    REQUIRE(log != NULL);
    /* chair-1 assist, day (10:00 to 18:59): acked 30 s / 200 s / never, cleared 100 / 300 / - */
    add_shift_call(log, "a1", "chair-1", D0 + H(10), 30, 100, PRIO_ASSIST);
    add_shift_call(log, "a2", "chair-1", D0 + H(18) + 59 * 60000, 200, 300, PRIO_ASSIST);
    add_shift_call(log, "a3", "chair-1", D0 + H(12), -1, -1, PRIO_ASSIST);
    /* ... and night (19:00 and 03:00) */
    add_shift_call(log, "a4", "chair-1", D0 + H(19), 10, -1, PRIO_ASSIST);
    add_shift_call(log, "a5", "chair-1", D0 + H(3), 20, 40, PRIO_ASSIST);
    /* chair-1 urgent, day (07:00 is day): 50 s within the 60 s target, 70 s not */
    add_shift_call(log, "u1", "chair-1", D0 + H(7), 50, 90, PRIO_URGENT);
    add_shift_call(log, "u2", "chair-1", D0 + H(8), 70, 80, PRIO_URGENT);
    /* chair-2 routine, night: cleared at the bedside with no acknowledgement */
    add_shift_call(log, "r1", "chair-2", D0 + H(23), -1, 120, PRIO_ROUTINE);
    /* Outside [since, until): not counted. */
    add_shift_call(log, "old", "chair-1", D0 - 1, 5, 5, PRIO_ASSIST);
    add_shift_call(log, "new", "chair-1", D0 + H(24), 5, 5, PRIO_ASSIST);

    n = calllog_report_shifts(log, &q, &c);
    REQUIRE(n == 4);
    /* urgent before assist, day before night */
    CHECK_STR_EQ(c[0].room, "chair-1");
    CHECK_INT_EQ(c[0].priority, PRIO_URGENT);
    CHECK(!c[0].night);
    CHECK_INT_EQ(c[0].calls, 2);
    CHECK_INT_EQ(c[0].acknowledged, 2);
    CHECK_INT_EQ(c[0].within, 1);
    CHECK_DBL_NEAR(c[0].ack_p50_s, 50, 1e-9);
    CHECK_DBL_NEAR(c[0].ack_p90_s, 70, 1e-9);
    CHECK_DBL_NEAR(c[0].ack_max_s, 70, 1e-9);
    CHECK_DBL_NEAR(c[0].clear_p50_s, 80, 1e-9);
    CHECK_DBL_NEAR(c[0].clear_max_s, 90, 1e-9);

    CHECK_INT_EQ(c[1].priority, PRIO_ASSIST);
    CHECK(!c[1].night);
    CHECK_INT_EQ(c[1].calls, 3);
    CHECK_INT_EQ(c[1].acknowledged, 2);
    CHECK_INT_EQ(c[1].cleared, 2);
    CHECK_INT_EQ(c[1].within, 1);             /* 30 s yes, 200 s no, never: no */
    CHECK_DBL_NEAR(c[1].ack_p50_s, 30, 1e-9);
    CHECK_DBL_NEAR(c[1].ack_max_s, 200, 1e-9);
    CHECK_DBL_NEAR(c[1].clear_p90_s, 300, 1e-9);

    CHECK_INT_EQ(c[2].priority, PRIO_ASSIST);
    CHECK(c[2].night);
    CHECK_INT_EQ(c[2].calls, 2);
    CHECK_INT_EQ(c[2].within, 2);
    CHECK_INT_EQ(c[2].cleared, 1);
    CHECK_DBL_NEAR(c[2].ack_p50_s, 10, 1e-9);
    CHECK_DBL_NEAR(c[2].ack_max_s, 20, 1e-9);
    CHECK_DBL_NEAR(c[2].clear_max_s, 40, 1e-9);

    CHECK_STR_EQ(c[3].room, "chair-2");
    CHECK_INT_EQ(c[3].priority, PRIO_ROUTINE);
    CHECK(c[3].night);
    CHECK_INT_EQ(c[3].calls, 1);
    CHECK_INT_EQ(c[3].acknowledged, 0);
    CHECK_INT_EQ(c[3].cleared, 1);
    CHECK_INT_EQ(c[3].within, 0);
    CHECK_DBL_NEAR(c[3].ack_p50_s, -1, 0);
    CHECK_DBL_NEAR(c[3].ack_max_s, -1, 0);
    CHECK_DBL_NEAR(c[3].clear_p50_s, 120, 1e-9);
    free(c);

    /* A night shift that wraps the other way (day 19:00..07:00, say a night clinic's
     * names swapped): a call at 10:00 is then night. */
    q.day_starts_min = 19 * 60;
    q.night_starts_min = 7 * 60;
    n = calllog_report_shifts(log, &q, &c);
    REQUIRE(n == 4);
    CHECK(c[0].night);                         /* urgent 07:00, 08:00 */
    free(c);

    /* An empty range: no cells, NULL. */
    q = shift_query();
    q.since_ms = D0 + H(48);
    q.until_ms = D0 + H(49);
    c = (struct report_cell *)&n;
    CHECK_INT_EQ(calllog_report_shifts(log, &q, &c), 0);
    CHECK(c == NULL);
    calllog_close(log);
}

/* Thousands of calls in many rooms: the buffers grow, every call is counted once. */
static void test_report_shifts_large(void)
{
    calllog *log = calllog_open(":memory:");
    struct report_query q = shift_query();
    struct report_cell *c = NULL;
    char id[32], room[16];
    int n, total = 0;

    REQUIRE(log != NULL);
    q.until_ms = D0 + H(24 * 30);
    calllog_begin(log);
    for (int i = 0; i < 3000; i++) {
        snprintf(id, sizeof id, "c-%d", i);
        snprintf(room, sizeof room, "r%02d", i % 40);
        add_shift_call(log, id, room, D0 + (int64_t)i * 600000, i % 100, i % 100 + 10,
                       (enum priority)(i % 3));
    }
    calllog_commit(log);
    n = calllog_report_shifts(log, &q, &c);
    REQUIRE(n == 40 * 3 * 2);
    for (int i = 0; i < n; i++)
        total += c[i].calls;
    CHECK_INT_EQ(total, 3000);
    free(c);
    calllog_close(log);
}

/* Marks: kept, overwritten, 0 when never set. */
static void test_marks(void)
{
    calllog *log = calllog_open(":memory:");
    int64_t v = -1;

    REQUIRE(log != NULL);
    CHECK_INT_EQ(calllog_get_mark(log, "stations.paged_since", &v), 0);
    CHECK_INT_EQ(v, 0);
    CHECK_INT_EQ(calllog_set_mark(log, "stations.paged_since", T0), 0);
    CHECK_INT_EQ(calllog_get_mark(log, "stations.paged_since", &v), 0);
    CHECK_INT_EQ(v, T0);
    CHECK_INT_EQ(calllog_set_mark(log, "stations.paged_since", 0), 0);
    CHECK_INT_EQ(calllog_get_mark(log, "stations.paged_since", &v), 0);
    CHECK_INT_EQ(v, 0);
    calllog_close(log);
}

/* A statement that cannot be prepared fails the write alone: the caller's transaction
 * stays open for it to roll back (insert and clear once rolled it back for the caller). */
static void test_failed_prepare_keeps_the_callers_transaction(void)
{
    calllog *log = calllog_open(":memory:");
    struct logged_call a = make_call("c-a", "chair-1", T0);
    int64_t v = -1;

    REQUIRE(log != NULL);
    REQUIRE(calllog_begin(log) == 0);
    CHECK_INT_EQ(calllog_set_mark(log, "m", T0), 0);
    REQUIRE(sqlite3_exec(db_sqlite(calllog_db(log)), "ALTER TABLE calls RENAME TO gone", NULL,
                         NULL, NULL) == SQLITE_OK);
    CHECK(calllog_insert(log, &a) == HV_EDB);
    CHECK(db_in_transaction(calllog_db(log)));
    CHECK(calllog_clear(log, "c-a", T0 + 1, NULL, NULL, "kiosk") == HV_EDB);
    CHECK(db_in_transaction(calllog_db(log)));
    CHECK_INT_EQ(calllog_rollback(log), 0);
    CHECK(!db_in_transaction(calllog_db(log)));
    CHECK_INT_EQ(calllog_get_mark(log, "m", &v), 0);
    CHECK_INT_EQ(v, 0);                           /* the caller's write went with it */
    CHECK_INT_EQ(open_calls(log).n, 0);           /* the table is back */
    calllog_close(log);
}

int main(void)
{
    RUN(test_insert_update_clear);
    RUN(test_events_delivered);
    RUN(test_aliases_known);
    RUN(test_rooms);
    RUN(test_checkpoint_bounds_wal);
    RUN(test_file_reopen);
    RUN(test_old_log_opens);
    RUN(test_concerns_kept);
    RUN(test_v2_log_migrates_concerns);
    RUN(test_report);
    RUN(test_report_none_acknowledged);
    RUN(test_report_large);
    RUN(test_percentile_sorted);
    RUN(test_report_shifts);
    RUN(test_report_shifts_large);
    RUN(test_marks);
    RUN(test_failed_prepare_keeps_the_callers_transaction);
    unit_cleanup();
    return CHECK_SUMMARY();
}
