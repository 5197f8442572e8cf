/*
 * outbox.h - the kiosk's durable outbox and its small persistent state.
 *
 * Every QoS 1 message the kiosk sends (a call, a clear, a check-in, a
 * questionnaire response) is inserted here, in SQLite, before it is handed
 * to MQTT; it is deleted only when the broker acknowledges it.  After a
 * reconnect or a restart, what is left is published again, oldest first, so
 * a call pressed while the broker is down or the kiosk is about to be killed
 * arrives exactly once more (same id; the controller treats a repeat id as
 * the same call).
 *
 * The same database keeps what must survive a restart of the kiosk: the
 * phase, the visit, and the open call as the kiosk last knew it.
 */
#ifndef HAVEN_KIOSK_OUTBOX_H
#define HAVEN_KIOSK_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct outbox;

/* Opens (creating) the database at path. NULL on failure (logged). */
struct outbox *outbox_open(const char *path);
void outbox_close(struct outbox *ob);

/* Appends a message; returns its sequence number (> 0) or HV_EDB. */
int64_t outbox_push(struct outbox *ob, const char *topic, const char *payload, bool retain);

/* One queued message (strings owned by the outbox until the next call). */
struct outbox_msg {
    int64_t seq;
    const char *topic;
    const char *payload;
    bool retain;
};

/*
 * Calls fn for every queued message, oldest first (fn returns 0 to go on).
 * Returns the number visited or HV_EDB.
 */
int outbox_each(struct outbox *ob, int (*fn)(void *ud, const struct outbox_msg *m), void *ud);

/* The broker has it: deletes message seq. */
int outbox_done(struct outbox *ob, int64_t seq);
/* How many messages wait. */
int outbox_count(struct outbox *ob);

/* Small key/value state ("phase", "visit", "lang", "call_id", "call_by", ...). */
int outbox_state_set(struct outbox *ob, const char *key, const char *value);
/* Copies the value of key into out ("" when unset). */
/* Rows written since opened (for tests: a command that changes nothing writes nothing). */
int64_t outbox_writes(struct outbox *ob);
void outbox_state_get(struct outbox *ob, const char *key, char *out, size_t outlen);

#endif
