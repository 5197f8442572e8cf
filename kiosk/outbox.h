/*
 * outbox.h - the kiosk's durable outbox and its small persistent state.
 *
 * Every QoS 1 message the kiosk sends (a call, a clear, a check-in, a
 * questionnaire response) is inserted here, in SQLite, before it is handed
 * to MQTT; it is deleted when the broker acknowledges it, except a *held*
 * message (a response or a check-in, issue 14 part 2), which stays until the
 * nurse station confirms it stored it (P/room/R/kiosk/stored, outbox_confirm):
 * the broker does not keep a message for a station that is down.  After a
 * reconnect or a restart, what is left is published again, oldest first, so
 * a call pressed while the broker is down or the kiosk is about to be killed
 * arrives exactly once more (same id; the controller treats a repeat id as
 * the same call).
 *
 * The same database keeps what must survive a restart of the kiosk: the
 * phase, the visit, and the open call as the kiosk last knew it, and the tap
 * journal's rows (journal.h): one file, state_dir/kiosk.db, so that an
 * intent (a help press: the call's state and its message) is one
 * transaction, one fsync, before anything is published.
 */
#ifndef HAVEN_KIOSK_OUTBOX_H
#define HAVEN_KIOSK_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct outbox;
struct db;

/*
 * The kiosk database's layout (common/db.h): outbox, state and taps.  Version 1
 * (before issue 15) had no taps, which lived in journal.db.
 */
extern const struct db_schema outbox_schema;

/* Opens (creating, or bringing up to date) the database at path. NULL on failure (logged). */
struct outbox *outbox_open(const char *path);
void outbox_close(struct outbox *ob);
/* The database, for the journal on the same file (journal_on) and for tests. */
struct db *outbox_db(struct outbox *ob);

/*
 * One intent, one transaction: what is pushed or saved between outbox_begin and
 * outbox_commit is committed at once (one fsync), or, if the commit fails, not at
 * all.  They nest (the outermost commits).  Publish what was pushed only after
 * outbox_commit.  0 or HV_EDB (the commit failed: nothing of it is on disk).
 */
int outbox_begin(struct outbox *ob);
int outbox_commit(struct outbox *ob);

/*
 * The kiosk kept its tap journal in a second file before issue 15: copies the taps
 * of the journal at journal_path into this database, in one transaction, then
 * removes that file (and its -wal and -shm).  A journal_path that does not exist is
 * no work; a crash between the copy and the removal does not copy twice.  Returns
 * the taps copied, or HV_EDB (the old file is then left as it was).
 */
int outbox_import_journal(struct outbox *ob, const char *journal_path);

/* Appends a message; returns its sequence number (> 0) or HV_EDB. */
int64_t outbox_push(struct outbox *ob, const char *topic, const char *payload, bool retain);
/*
 * The same, held until outbox_confirm(held) (held: the message's id; NULL or ""
 * is outbox_push).  outbox_done leaves a held message in place.
 */
int64_t outbox_push_held(struct outbox *ob, const char *topic, const char *payload, bool retain,
                         const char *held);
/* The station has the message with id: deletes the held rows with that id.  The rows
 * deleted (0: none held, e.g. a second confirmation), or HV_EDB. */
int outbox_confirm(struct outbox *ob, const char *id);
/* How many held messages wait for their confirmation, or HV_EDB. */
int outbox_held_count(struct outbox *ob);

/* One queued message (strings owned by the outbox until the next call). */
struct outbox_msg {
    int64_t seq;
    const char *topic;
    const char *payload;
    bool retain;
    const char *held;   /* the id it is held under until confirmed, or NULL */
};

/*
 * Calls fn for every queued message, oldest first (fn returns 0 to go on).
 * Returns the number visited or HV_EDB.
 */
int outbox_each(struct outbox *ob, int (*fn)(void *ud, const struct outbox_msg *m), void *ud);

/* The broker has it: deletes message seq (unless it is held). */
int outbox_done(struct outbox *ob, int64_t seq);
/* How many messages wait. */
int outbox_count(struct outbox *ob);

/* Small key/value state ("phase", "visit", "lang", "call_id", "call_by", ...); a NULL
 * value removes key.  0 or HV_EDB. */
int outbox_state_set(struct outbox *ob, const char *key, const char *value);
/* Copies the value of key into out ("" when unset). */
void outbox_state_get(struct outbox *ob, const char *key, char *out, size_t outlen);
/* Rows written since opened (for tests: a command that changes nothing writes nothing). */
int64_t outbox_writes(struct outbox *ob);

#endif
