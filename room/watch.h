/*
 * watch.h - supervision of the nurse station's boards (issue 13, "Link lost").
 *
 * A browser blocks sound until someone touches the page, so a board can show
 * every call and still be silent.  Each station publishes, retained, how many
 * boards it serves and how many have sound on (P/station/S/status).  When for
 * stations.grace no station says online with armed >= 1, the controller pages
 * stations.group once for that outage ("no_board"); a board armed again ends
 * the outage.  MQTT-free: the controller feeds statuses in and sends the page
 * through the ops; time is passed in (wall clock ms), so tests use fake time.
 *
 * A restart during an outage does not page again: the outage that was paged
 * is kept through ops->save (the controller keeps it in the call log) and
 * given back to watch_new, and it lasts until a board is seen armed.
 */
#ifndef HAVEN_WATCH_H
#define HAVEN_WATCH_H

#include "contract.h"
#include "roomcfg.h"

#include <stdint.h>

#define WATCH_STATIONS_MAX 64   /* stations followed at once; more are logged and ignored */

typedef struct watch watch;

struct watch_ops {
    /* Page group with the no_board page for the outage that began at since_ms. */
    void (*page)(void *ctx, const char *group, int64_t since_ms);
    /* Remember the outage paged (its since_ms), or 0 when it ended; may be NULL. */
    void (*save)(void *ctx, int64_t paged_since_ms);
};

/*
 * A watch over cfg->stations (which it copies).  paged_since_ms is what
 * ops->save last kept (0: none): that outage was already paged.  now starts
 * the grace: nothing has been heard from any station yet.  NULL when out of
 * memory.
 */
watch *watch_new(const struct room_config *cfg, const struct watch_ops *ops, void *ctx,
                 int64_t paged_since_ms, int64_t now);
void watch_free(watch *w);

/* A reload: new group or grace; turning it off forgets every station. */
void watch_set_config(watch *w, const struct room_config *cfg, int64_t now);

/*
 * The status of station login (NULL: its retained status was deleted, as good
 * as offline).  Logs a board armed again after an outage.
 */
void watch_station(watch *w, const char *login, const struct msg_station_status *m,
                   int64_t now);

/*
 * The controller reached the broker.  Until the first station status is heard
 * the grace runs from the first connection, not from start-up: a controller
 * that took long to connect has not yet seen the stations' retained statuses.
 */
void watch_link_up(watch *w, int64_t now);

/* Pages when the grace has run out.  Call every turn of the loop. */
void watch_tick(watch *w, int64_t now);

/* When watch_tick next has something to do (INT64_MAX: nothing). */
int64_t watch_next_due(const watch *w);

/* For tests and logs: stations online with a board armed, and whether an outage was paged. */
int watch_armed_stations(const watch *w);
bool watch_outage_paged(const watch *w);

#endif
