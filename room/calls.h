/*
 * calls.h - the paging state machine: one open call per room, raised by the
 * kiosk, paged along its priority's escalation chain, acknowledged by a
 * nurse, cleared at the bedside (or remotely, unless urgent).
 *
 * The module knows nothing of MQTT.  What it decides goes out through
 * struct calls_ops (the controller publishes; unit tests record), and every
 * change is written to the call log before it is announced, so a controller
 * killed at any instant comes back with the same calls.
 *
 * Rules (docs/protocol.md has the full story):
 *   - A call whose id is already the room's call (or one of its aliases)
 *     re-pages the group paged last, at most once per realert_min; it never
 *     opens a second call.  A call id the log knows as cleared is a late
 *     duplicate and is dropped.
 *   - A call with a new id while the room's call is open joins it as an
 *     alias.  What it raises is a concern (its reason, priority and detail);
 *     the call lists every concern (HV_CONCERNS_MAX, then counts them) and the
 *     log keeps them, so the nurse sees each one (issue 14):
 *       - a higher priority upgrades the call: the concern's priority,
 *         reason and detail, paged now, the chain restarting from the first
 *         step of the new priority;
 *       - a new concern no more urgent is listed and pages the group paged
 *         last at once; the priority never drops, the chain goes on as it
 *         was; at equal priority it becomes the call's reason and detail;
 *       - a concern the call already has (the same reason and detail), or
 *         one past the full list, pages no one (counted: a flood of ids).
 *     Aliases are capped in memory and in the log.
 *   - Escalation: step i of the chain is paged chain[i].after after the
 *     call was raised (or upgraded); past the last step the last group is
 *     paged again every `repeat`.  Each step and repeat adds one to
 *     `escalation`.  An acknowledged call is re-paged to the group that was
 *     paged last every `ack_timeout` until it is cleared.
 *   - A kiosk that goes offline during a visit (phase other than idle) for
 *     offline_grace_ms opens a kiosk_offline call (a stale will followed by
 *     online within the grace opens none); it clears once the kiosk has
 *     stayed online for online_settle.  Offline again before that is the same
 *     outage: one call, one page per outage.
 *   - A kiosk whose status announces a beat and from which nothing has come
 *     for 2.5 beats is taken as offline (as if its will had come), but only
 *     while our own session hears the broker (calls_link_heard) more than
 *     1.5 beats after the kiosk's last status: a frozen broker pages no one.
 *   - calls_admit is the per-room input budget the controller asks before it
 *     decodes (or writes) anything a kiosk sent.
 */
#ifndef HAVEN_CALLS_H
#define HAVEN_CALLS_H

#include "calllog.h"
#include "contract.h"
#include "roomcfg.h"

#include <stdbool.h>
#include <stdint.h>

/* Where decisions go.  call is NULL in publish_call when the room has no call. */
struct calls_ops {
    void (*publish_call)(void *ctx, const char *room, const struct contract_call *call);
    /* Page group with call; event_seq is the call log's page event, to mark delivered. */
    void (*page)(void *ctx, const char *group, const struct contract_call *call,
                 int64_t event_seq);
};

typedef struct calls calls;

/* cfg must outlive the calls (calls_set_config swaps it). NULL when out of memory. */
calls *calls_new(const struct room_config *cfg, calllog *log, const struct calls_ops *ops,
                 void *ctx);
void calls_free(calls *cs);

/*
 * A reloaded configuration: open calls keep going, timers re-planned on the
 * new chains.  A call in a room the new configuration no longer has is
 * closed (source "room_removed"), after a last page to the group paged last
 * whose detail is REMOVED_DETAIL.
 */
void calls_set_config(calls *cs, const struct room_config *cfg, int64_t now_ms);
#define REMOVED_DETAIL "room removed from the configuration: call closed"

/* Loads open calls from the log and re-sends pages the broker never acknowledged. */
int calls_restore(calls *cs, int64_t now_ms);

/* Kiosk and nurse input, already decoded and for a configured room. */
void calls_raise(calls *cs, const char *room, const struct msg_call *m, int64_t now_ms);
void calls_acknowledge(calls *cs, const char *room, const struct msg_ack *m, int64_t now_ms);
/* bedside: from the kiosk's staff menu (any priority); otherwise a nurse's remote clear. */
void calls_clear(calls *cs, const char *room, const struct msg_ack *m, bool bedside,
                 int64_t now_ms);
void calls_kiosk_status(calls *cs, const char *room, const struct msg_status *st,
                        int64_t now_ms);

/*
 * The per-room input budget (room_input_rate a second, bursts of twice that):
 * true if room may send one more message at now_ms; false (counted) to drop it.
 */
bool calls_admit(calls *cs, const char *room, int64_t now_ms);

/* What floods cost: counters since calls_new. */
struct calls_stats {
    unsigned long long merged;              /* new ids folded into an open call, not paged */
    unsigned long long realerts_suppressed; /* the same id again within realert_min */
    unsigned long long dropped;             /* messages over a room's input budget */
};
const struct calls_stats *calls_stats(const calls *cs);

/* Pages whatever escalation, reminder or kiosk-supervision deadline is due at now_ms. */
void calls_tick(calls *cs, int64_t now_ms);
/* Wall-clock ms of the next due escalation or reminder, or INT64_MAX when none. */
int64_t calls_next_due(const calls *cs);

/*
 * Our session's view of the broker, for the heartbeat silence: rx_ms is the wall
 * clock at which it last heard the broker (any packet).  Called before calls_tick.
 */
void calls_link_heard(calls *cs, int64_t rx_ms);
/* After a (re)connect: every kiosk counts as heard at now_ms, so the statuses the
 * broker replays (or does not) are judged from here on. */
void calls_link_up(calls *cs, int64_t now_ms);

/* Re-publishes every configured room's retained call (or empty): after a (re)connect. */
void calls_publish_all(calls *cs);

/* The room's open call, or NULL (for tests and the controller's log lines). */
const struct contract_call *calls_get(const calls *cs, const char *room);
size_t calls_open_count(const calls *cs);

#endif
