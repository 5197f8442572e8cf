/*
 * lightdrv.h - light drivers: what a light is told, in its own protocol.
 *
 * One small vtable per kind of MQTT light, in the manner of taisei's audio
 * backends, so the lighting logic (lights.c) never knows the wire format:
 *
 *   zigbee2mqtt   <topic>/set   {"state":"ON","brightness":0..254,"color_temp":<mireds>,
 *                                "transition":<s>}            (colour: "color":{"r","g","b"})
 *   homeassistant <topic>       the same JSON schema, brightness 0..brightness_scale (255)
 *   tasmota       cmnd/<topic>/Speed, /CT (153..500) or /Color (RRGGBB), /Dimmer (0..100)
 *   null          nothing at all (rooms without lights, tests)
 *
 * A driver also says how long a fade the light can run by itself
 * (max_transition_ms); lights.c steps anything longer.
 */
#ifndef HAVEN_LIGHTDRV_H
#define HAVEN_LIGHTDRV_H

#include "contract.h"
#include "fade.h"

#include <stddef.h>
#include <stdint.h>

enum light_driver_kind { LIGHT_NULL, LIGHT_Z2M, LIGHT_HA, LIGHT_TASMOTA, LIGHT_DRIVER_COUNT };

/* One light in a room, from config. */
struct light_def {
    enum light_driver_kind driver;
    char topic[HV_TOPIC_MAX - 32];  /* room for the driver's suffix ("/set", "cmnd/../Dimmer") */
    int brightness_scale;           /* homeassistant: its brightness_scale (default 255) */
};

/* Where a driver's messages go: QoS 1, not retained. */
typedef void (*light_emit_fn)(void *ctx, const char *topic, const char *payload);

struct light_driver {
    const char *name;             /* as in config: driver = "zigbee2mqtt"; */
    const char *topics;           /* where set() publishes, a filter of the light's topic
                                   * (printf, one %s), or NULL: "%s/set", "cmnd/%s/#" */
    int64_t max_transition_ms;    /* longest fade the light runs by itself */
    /* Once per connection, before anything else (may be NULL). */
    void (*init)(const struct light_def *l, light_emit_fn emit, void *ctx);
    /* Moves the light to lv over transition_ms (brightness 0 = off). */
    void (*set)(const struct light_def *l, const struct light_level *lv, int64_t transition_ms,
                light_emit_fn emit, void *ctx);
};

const struct light_driver *light_driver(enum light_driver_kind kind);
/* The driver kind for a config name, or -1. */
int light_driver_from_name(const char *name);

/*
 * The topic filter l's commands go to (for the broker's ACL, `haven-room
 * list`) into out.  Returns 0, or -1 for a driver that publishes nothing.
 */
int light_topic_filter(const struct light_def *l, char *out, size_t len);

/* Colour temperature as every driver sends it: mireds, clamped to 153..500 (6500..2000 K). */
int light_mireds(int kelvin);

#endif
