/*
 * roomcfg.h - the room controller's configuration (config/haven.cfg).
 *
 * Loaded whole into a struct room_config, validated, and only then used: a
 * reload (SIGHUP) that fails leaves the running configuration untouched.
 * The meaning of every setting is in docs/configuration.md.
 */
#ifndef HAVEN_ROOMCFG_H
#define HAVEN_ROOMCFG_H

#include "cfg.h"
#include "contract.h"
#include "lightcfg.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define ROOMCFG_MAX_GROUPS 16
#define ROOMCFG_MAX_STEPS  8
#define ROOMCFG_MAX_SCENES LIGHTCFG_MAX_SCENES
#define ROOMCFG_MAX_LIGHTS LIGHTCFG_MAX_LIGHTS   /* lamps in one room */

struct chain_step {
    char group[HV_NAME_MAX];
    int64_t after_ms;        /* since the call was raised (or upgraded) */
};

/* How calls of one priority are paged. */
struct prio_policy {
    struct chain_step steps[ROOMCFG_MAX_STEPS];
    int nsteps;
    int64_t repeat_ms;       /* past the chain's end: page the last group again this often */
    int64_t ack_timeout_ms;  /* acknowledged but not cleared: page again after this long */
};

struct room_def {
    char id[HV_ROOM_MAX];
    char label[HV_NAME_MAX];
    struct light_def *lights;  /* the room's lamps (nlights, owned) */
    int nlights;
    bool has_dome;
    struct light_def dome;     /* the corridor light over the door */
};

/* The stations { } group: supervision of the nurse station's boards (issue 13). */
struct stations_config {
    int watch;                  /* 0: off (the default), the controller ignores stations */
    char group[HV_NAME_MAX];    /* paged once per outage; one of groups */
    int64_t grace_ms;           /* no board armed for this long is an outage */
};

struct room_config {
    char path[PATH_MAX];
    char prefix[64];
    char controller_id[HV_NAME_MAX];
    struct cfg_broker broker; /* broker { } and controller { broker { } } */
    char database[PATH_MAX];
    int64_t realert_min_ms;  /* the same call id again re-pages at most this often */
    int offline_grace_ms;    /* a kiosk offline this long (ms) during a visit: kiosk_offline call */
    int64_t online_settle_ms; /* ... which clears once the kiosk has stayed online this long */
    int room_input_rate;     /* kiosk messages per second a room may send (burst: 2x) */
    char groups[ROOMCFG_MAX_GROUPS][HV_NAME_MAX];
    int ngroups;
    enum priority reason_priority[REASON_COUNT];
    struct prio_policy policy[PRIO_COUNT];
    struct room_def *rooms;  /* sorted by id */
    size_t nrooms;
    struct lighting_config lighting;
    struct stations_config stations;
};

/*
 * Loads and validates path into *out (which the caller later frees with
 * roomcfg_free).  Returns 0, or HV_ECONFIG with err "file:line: ...".
 * Unknown settings are logged as warnings.
 */
int roomcfg_load(const char *path, struct room_config *out, struct cfg_error *err);
void roomcfg_free(struct room_config *cfg);

/*
 * A reload: keeps in next what only a restart may change (prefix, controller
 * id, broker, database), copied from running, and logs each one the file
 * changed.  Returns how many had changed.
 */
int roomcfg_keep_restart(struct room_config *next, const struct room_config *running);

/* The room with this id, or NULL. O(log n). */
const struct room_def *roomcfg_room(const struct room_config *cfg, const char *id);

/* The index of the scene called name, or -1. */
int roomcfg_scene(const struct room_config *cfg, const char *name);

/* True if group is one of the configured nurse groups. */
int roomcfg_has_group(const struct room_config *cfg, const char *group);

#endif
