/*
 * lightcfg.h - the lighting part of haven.cfg: scenes { }, lighting { } and
 * each room's lights ( ) and dome { }.  The settings land in the struct
 * lighting_config and the lights of each room (roomcfg.h embeds both);
 * roomcfg.c calls these readers, and nothing here knows roomcfg (one
 * direction only).
 */
#ifndef HAVEN_LIGHTCFG_H
#define HAVEN_LIGHTCFG_H

#include "cfg.h"
#include "contract.h"
#include "fade.h"
#include "lightdrv.h"

#include <stdbool.h>
#include <stdint.h>

#define LIGHTCFG_MAX_SCENES 64
#define LIGHTCFG_MAX_LIGHTS 8   /* lamps in one room */

/* A named light setting (scenes { } in config). */
struct scene {
    char name[HV_NAME_MAX];
    struct light_level level;
};

/* The lighting { } section: which scene when, and how fast (docs/configuration.md). */
struct lighting_config {
    struct scene scenes[LIGHTCFG_MAX_SCENES];
    int nscenes;
    int phase_scene[PHASE_COUNT];     /* index into scenes; -1 when no room has lights */
    int64_t phase_fade_ms[PHASE_COUNT];
    int call_scene[PRIO_COUNT];       /* -1: a call of that priority leaves the lights alone */
    int64_t call_fade_ms;             /* into a call's scene */
    int64_t return_fade_ms;           /* back after the call clears */
    int64_t override_fade_ms;         /* a staff override that names no transition */
    int64_t override_hold_ms;         /* an override lasts this long (or to the next phase) */
    int64_t step_ms;                  /* longest straight step of a fade the controller runs */
    uint8_t dome_rgb[PRIO_COUNT][3];
    double dome_brightness;
    int64_t flash_ms;                 /* an unacknowledged urgent call: one on+off cycle */
};

/* The index of the scene called name in lc, or -1. */
int lightcfg_scene(const struct lighting_config *lc, const char *name);

/*
 * Reads the lights ( ) of a room's entry (room id, for errors) into *lights
 * (malloc'd, *nlights of them; the caller frees it, also after an error) and
 * its dome { } into *dome (*has_dome).  0 or HV_ECONFIG.
 */
int lightcfg_read_room(const config_setting_t *room, const char *id, struct light_def **lights,
                       int *nlights, struct light_def *dome, bool *has_dome,
                       struct cfg_error *err);

/*
 * Reads scenes { } and lighting { } of cfg (file path, for errors) into lc.
 * any_lights: some room has lamps, so every phase needs a scene.  0 or HV_ECONFIG.
 */
int lightcfg_read(const config_t *cfg, const char *path, bool any_lights,
                  struct lighting_config *lc, struct cfg_error *err);

#endif
