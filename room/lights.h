/*
 * lights.h - each room's lights: which scene, and how it gets there.
 *
 * The room follows its kiosk's phase (idle, intake, infusion, recovery,
 * discharge), each with a scene and a fade time from config.  Three things
 * can take over, in this order of precedence:
 *
 *   1. an open call whose priority has a scene (urgent -> "care", bright
 *      enough for a nurse to work), until the call clears;
 *   2. a staff override (lights/set), until the next phase change, its
 *      hold time, or {"release":true};
 *   3. the patient's theme (kiosk/theme), while the room is in the phase it
 *      was chosen in.
 *
 * Fades follow the perceptual curve in fade.h.  The controller sends a point
 * of the curve every `step` seconds (or less, for a light whose own fades are
 * shorter) and lets the light glide between points on its native transition.
 *
 * A room's dome light (over the door) shows an open call by priority:
 * steady in the priority's colour, flashing while an urgent call is not yet
 * acknowledged, off when the call clears.
 *
 * Knows nothing of MQTT: commands and the retained state go out through
 * struct lights_ops.  Times are monotonic milliseconds (clock_mono_ms).
 */
#ifndef HAVEN_LIGHTS_H
#define HAVEN_LIGHTS_H

#include "contract.h"
#include "fade.h"
#include "roomcfg.h"

#include <stdint.h>

struct lights_ops {
    /* A message to a light: QoS 1, not retained. */
    void (*command)(void *ctx, const char *topic, const char *payload);
    /* The room's new target, for its retained P/room/R/lights/state. */
    void (*state)(void *ctx, const char *room, const char *scene, const struct light_level *lv);
};

typedef struct lights lights;

/* cfg must outlive the lights (lights_set_config swaps it). NULL when out of memory. */
lights *lights_new(const struct room_config *cfg, const struct lights_ops *ops, void *ctx);
void lights_free(lights *ls);

/* A reloaded configuration: rooms keep their state; new scenes apply at the next change. */
int lights_set_config(lights *ls, const struct room_config *cfg);

/* After every (re)connection: set-up commands, then each room's target and dome again. */
void lights_connected(lights *ls, int64_t now);

/* The kiosk's phase (from its retained status). */
void lights_phase(lights *ls, const char *room, enum phase phase, int64_t now);
/*
 * The room's call as published on P/call/R, or NULL once it cleared.  Shown
 * on the lamps and dome by lights_tick 2 ms later, so the nurse's page goes
 * out on its own first (lights.c says why).
 */
void lights_call(lights *ls, const char *room, const struct contract_call *call, int64_t now);
/* A staff override. Returns 0, or HV_EINVAL with *why (an unknown scene). */
int lights_override(lights *ls, const char *room, const struct msg_lights_set *m, int64_t now,
                    const char **why);
/* The patient's theme; NULL when the kiosk withdrew it. */
void lights_theme(lights *ls, const char *room, const struct msg_kiosk_theme *m, int64_t now);

/* Sends whatever fade step, dome flash or override expiry is due at now. */
void lights_tick(lights *ls, int64_t now);
/* When lights_tick next has work, or INT64_MAX. */
int64_t lights_next_due(const lights *ls);

/* The scene a room was last told ("" before anything), for tests and logs. */
const char *lights_scene(const lights *ls, const char *room);

#endif
