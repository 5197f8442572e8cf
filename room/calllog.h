/*
 * calllog.h - the call log: every call and what happened to it, in SQLite.
 *
 * It is both the record nurse managers report from and the controller's
 * memory across restarts: open calls (cleared_ms IS NULL) are restored at
 * start-up, with their escalation step and the pages that the broker never
 * acknowledged.  The database runs in WAL mode with synchronous=NORMAL: a
 * committed change survives the process being killed at any instant (the
 * drills do that); only an operating-system crash or power cut may take back
 * the last few commits.
 */
#ifndef HAVEN_CALLLOG_H
#define HAVEN_CALLLOG_H

#include "contract.h"

#include <stdint.h>

typedef struct calllog calllog;

/* A call as stored: the wire view plus where its escalation stands. */
struct logged_call {
    struct contract_call w;
    int step;            /* chain step last paged (of w.priority's chain) */
    int64_t base_ms;     /* chain time zero: raised, or when the call was upgraded */
    int64_t timer_ms;    /* last timer-driven page (open) or acknowledgement/reminder */
    char group[HV_NAME_MAX];  /* the group paged last */
};

/* Opens (creating if needed) the log at path (":memory:" for tests). NULL on failure (logged). */
calllog *calllog_open(const char *path);
/*
 * Opens an existing log read-only, for queries on another thread than the
 * writer's (the report: WAL lets it read while the controller writes).  Only
 * the report queries may be used on it.  NULL on failure (logged).
 */
calllog *calllog_open_reader(const char *path);
void calllog_close(calllog *log);

/* Inserts a new call and its "raised" event (atomically). Returns 0 or HV_EDB. */
int calllog_insert(calllog *log, const struct logged_call *c);
/* Writes the call's current state (state, by, escalation, step, times, priority...). */
int calllog_update(calllog *log, const struct logged_call *c);
/* Marks the call cleared now, by whom, through which login (via; NULL or "" for none)
 * and from where ("bedside", "nurse", "kiosk_online", "room_removed"). */
int calllog_clear(calllog *log, const char *id, int64_t ms, const char *by, const char *via,
                  const char *source);

/*
 * Appends an event ("page", "acknowledged", "reminder", "realert", "upgraded",
 * "concern", "merged") and returns its sequence number (> 0), or HV_EDB.
 */
int64_t calllog_event(calllog *log, const char *call_id, int64_t ms, const char *kind,
                      const char *group, const char *who, int escalation);
/* The broker acknowledged the page of event seq. */
int calllog_delivered(calllog *log, int64_t seq);

/* Records that alias (another id the kiosk sent for the same room) belongs to call_id. */
int calllog_add_alias(calllog *log, const char *alias, const char *call_id);

/* Records concern k raised on call_id (issue 14; the first is the one that opened it). */
int calllog_add_concern(calllog *log, const char *call_id, const struct contract_concern *k);

/*
 * Looks id up among calls and aliases.  Returns 1 and fills primary (if not
 * NULL) with the call's own id when known, 0 when never seen, HV_EDB on error.
 */
int calllog_known(calllog *log, const char *id, char primary[HV_ID_MAX]);

/* Calls fn for every open call; fn returns 0 to go on. Returns 0 or HV_EDB. */
int calllog_each_open(calllog *log, int (*fn)(void *ud, const struct logged_call *c), void *ud);
/* Aliases of call_id, each passed to fn. */
int calllog_each_alias(calllog *log, const char *call_id,
                       void (*fn)(void *ud, const char *alias), void *ud);
/* Concerns of call_id, in the order they were raised, each passed to fn. */
int calllog_each_concern(calllog *log, const char *call_id,
                         void (*fn)(void *ud, const struct contract_concern *k), void *ud);
/* Pages of call_id the broker has not acknowledged: fn gets (seq, group). */
int calllog_each_undelivered(calllog *log, const char *call_id,
                             void (*fn)(void *ud, int64_t seq, const char *group), void *ud);

/* Kiosk supervision memory: whether each room's kiosk was online, and its last phase
 * (phase -1 leaves the stored phase as it is). */
int calllog_set_room(calllog *log, const char *room, int online, int phase, int64_t ms);
/* Fills *online (0/1, or -1 when unknown) and *phase (or -1) from the log. */
int calllog_get_room(calllog *log, const char *room, int *online, int *phase);

/* A small fact kept across restarts under key (e.g. "stations.paged_since"); get gives 0
 * for a key never set.  Return 0 or HV_EDB. */
int calllog_set_mark(calllog *log, const char *key, int64_t value);
int calllog_get_mark(calllog *log, const char *key, int64_t *value);

/*
 * Groups writes into one transaction (atomic, and one commit instead of several):
 * common/db.h's, so they nest.  calllog_commit returns HV_EDB when the commit
 * failed (nothing of the transaction written) or a rollback was asked inside.
 * A caller opens and closes its transaction in one function and announces what
 * it wrote only after calllog_commit (calls.h).  0 or HV_EDB.
 */
int calllog_begin(calllog *log);
int calllog_commit(calllog *log);
int calllog_rollback(calllog *log);

/* The log's database (common/db.h), for tests: fault injection (db_fail_commits). */
struct db;
struct db *calllog_db(calllog *log);

/*
 * Copies the write-ahead log into the database (a passive checkpoint: never
 * waits for readers such as a running report).  Automatic checkpoints are
 * off, because their fsyncs would land in the commit that opens a call; the
 * controller calls this from its loop at most once a second instead.  Every
 * CALLLOG_TRUNCATE_EVERY-th call with writes is a TRUNCATE checkpoint, which
 * empties the WAL file (skipped, not waited for, while a reader holds it);
 * with journal_size_limit (1 MiB) the WAL stays bounded however many calls
 * pass (docs/performance.md has the figure).
 */
#define CALLLOG_TRUNCATE_EVERY 10
void calllog_checkpoint(calllog *log);

/* ---- the response-time report ---- */

struct report_row {
    char room[HV_ROOM_MAX];
    int calls;           /* raised since the cut-off */
    int acknowledged;    /* of those, acknowledged */
    int urgent;
    double p50_s, p90_s, max_s;   /* raised -> acknowledged, seconds; -1 when none */
};

/*
 * Builds one row per room that has calls since since_ms (raised >= since_ms),
 * sorted by room id; *rows is malloc'd.  Returns the number of rows or HV_EDB.
 */
int calllog_report(calllog *log, int64_t since_ms, struct report_row **rows);

/*
 * The report the nurse station asks for (issue 13, station/report.h): one cell
 * per room, priority and shift with calls raised in [since_ms, until_ms).  The
 * shift is the local time of raised: day from day_starts to night_starts
 * (minutes after midnight), night the rest.  Times are raised -> acknowledged
 * and raised -> cleared; "within" counts the calls acknowledged within their
 * priority's target (of all the cell's calls, so a call never acknowledged
 * counts against it).
 */
struct report_query {
    int64_t since_ms, until_ms;
    int day_starts_min, night_starts_min;
    int target_s[PRIO_COUNT];   /* by enum priority */
};

struct report_cell {
    char room[HV_ROOM_MAX];
    enum priority priority;
    bool night;
    int calls, acknowledged, cleared, within;
    double ack_p50_s, ack_p90_s, ack_max_s;       /* -1 when none acknowledged */
    double clear_p50_s, clear_p90_s, clear_max_s; /* -1 when none cleared */
};

/*
 * Fills *cells (malloc'd) sorted by room, then urgent, assist, routine, then
 * day before night.  Returns the number of cells, HV_EDB or HV_ENOMEM.
 */
int calllog_report_shifts(calllog *log, const struct report_query *q,
                          struct report_cell **cells);

/* Nearest-rank percentile q (0..1] of the n sorted values. */
double percentile_sorted(const double *sorted, int n, double q);

#endif
