/*
 * stationcfg.h - the nurse station's configuration: the clinic as the room
 * controller reads it (roomcfg_load: prefix, rooms and labels, groups,
 * priorities, the shared broker { }) and the station's own group of the
 * same haven.cfg:
 *
 *   station = {
 *     listen = "127.0.0.1:8080";   # HTTPS unless the host is loopback
 *     users = "/var/lib/haven/station-users";
 *     audit = "/var/lib/haven/station-audit.log";
 *     record = "/var/lib/haven/station-record.db";   dropout_days = 14;
 *     tls_cert = ""; tls_key = "";
 *     phone_idle = 900;  board_max = 43200;              # seconds
 *     broker = { username = "station"; password_file = "..."; };
 *     report = { day_starts = "07:00"; night_starts = "19:00";
 *                target = { urgent = 60; assist = 180; routine = 600; }; };
 *   };
 *
 * Read through tables of struct cfg_row (common/cfg.h), loaded whole and
 * validated before use (a SIGHUP reload that fails keeps the running
 * configuration; stationcfg_keep_restart keeps what only a restart
 * changes).  The TLS files are checked at load: readable, PEM, and the key
 * readable by the station's user alone.  Errors name "file:line".
 * docs/configuration.md explains every setting.
 */
#ifndef HAVEN_STATION_STATIONCFG_H
#define HAVEN_STATION_STATIONCFG_H

#include "cfg.h"
#include "contract.h"
#include "roomcfg.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

struct station_config {
    struct room_config clinic;      /* roomcfg_load's; its broker is the controller's */
    char listen[300];               /* "HOST:PORT" as written (or --listen) */
    char listen_host[256];          /* listen, split */
    int listen_port;
    char users[PATH_MAX];
    char audit[PATH_MAX];
    char record[PATH_MAX];          /* the patients' courses (record.h), SQLite */
    int dropout_days;               /* a course with no visit for this long has dropped out */
    char tls_cert[PATH_MAX], tls_key[PATH_MAX];   /* "" for none */
    int64_t phone_idle_ms, board_max_ms;
    int recovery_min;               /* kiosk.recovery_minutes (the observation countdown) */
    int64_t recovery_ms;            /* the same in ms */
    /* The station's own broker link: broker { } then station.broker { }. */
    struct cfg_broker broker;
    /* The response-time report's shifts and targets. */
    char day_starts[16], night_starts[16];   /* "HH:MM" as written */
    int day_starts_min, night_starts_min;
    int target_s[PRIO_COUNT];       /* by enum priority */
};

/*
 * Loads and validates path into *out (free it with stationcfg_free).
 * Returns 0, or HV_ECONFIG with err "file:line: ...".
 */
int stationcfg_load(const char *path, struct station_config *out, struct cfg_error *err);
void stationcfg_free(struct station_config *c);

/*
 * A reload: copies into next, from running, every setting only a restart
 * applies (listen, users, audit, the TLS files, the session lengths, the
 * broker), logging each one the file changed.  Returns how many had changed.
 */
int stationcfg_keep_restart(struct station_config *next, const struct station_config *running);

/* The station's broker login: username, or "station" when none is set. */
const char *stationcfg_login(const struct station_config *c);

/*
 * Sets listen from "HOST:PORT" (the --listen option).  Returns 0, or
 * HV_ECONFIG with err set.
 */
int stationcfg_set_listen(struct station_config *c, const char *hostport,
                          struct cfg_error *err);

/* True when host is a loopback address or name (127.0.0.0/8, ::1, localhost). */
bool stationcfg_host_is_loopback(const char *host);

/*
 * The last check before serving: TLS (tls_cert and tls_key, checked by
 * stationcfg_load), or a loopback listen address.  Returns 0, or
 * HV_ECONFIG with err set.
 */
int stationcfg_check_listen(const struct station_config *c, struct cfg_error *err);

#endif
