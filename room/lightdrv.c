/* lightdrv.c - the zigbee2mqtt, Home Assistant JSON, Tasmota and null light drivers. */
#include "lightdrv.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIREDS_MIN 153
#define MIREDS_MAX 500
/* Tasmota's Speed runs 1..40 half-seconds: its own fades top out at 20 s. */
#define TASMOTA_SPEED_MAX 40
/* zigbee2mqtt and Home Assistant take any transition; an hour is plenty. */
#define JSON_TRANSITION_MAX_MS 3600000
/* Where each driver publishes, from the light's configured topic. */
#define Z2M_TOPICS     "%s/set"
#define HA_TOPICS      "%s"
#define TASMOTA_TOPICS "cmnd/%s/#"      /* cmnd/<topic>/<command> */

int light_mireds(int kelvin)
{
    long m = kelvin > 0 ? lround(1e6 / kelvin) : MIREDS_MAX;

    return (int)(m < MIREDS_MIN ? MIREDS_MIN : m > MIREDS_MAX ? MIREDS_MAX : m);
}

/* pct (0..100) on a 0..scale range: 0 only for 0, so a dim light never rounds to off. */
static int scaled(double pct, int scale)
{
    long v = lround(pct * scale / 100.0);

    if (pct > 0 && v < 1)
        v = 1;
    return (int)(v > scale ? scale : v);
}

/* ---- JSON lights: zigbee2mqtt and Home Assistant ------------------------------------ */

/* The z2m / HA JSON schema command; NULL when out of memory. */
static char *json_command(const struct light_level *lv, int scale, int64_t transition_ms)
{
    cJSON *o = cJSON_CreateObject();
    char *text;

    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "state", lv->brightness > 0 ? "ON" : "OFF");
    if (lv->brightness > 0) {
        cJSON_AddNumberToObject(o, "brightness", scaled(lv->brightness, scale));
        if (lv->has_colour) {
            cJSON *c = cJSON_AddObjectToObject(o, "color");
            cJSON_AddNumberToObject(c, "r", lv->rgb[0]);
            cJSON_AddNumberToObject(c, "g", lv->rgb[1]);
            cJSON_AddNumberToObject(c, "b", lv->rgb[2]);
        } else {
            cJSON_AddNumberToObject(o, "color_temp", light_mireds(lv->kelvin));
        }
    }
    /* Tenths of a second: what a Zigbee level change can express. */
    cJSON_AddNumberToObject(o, "transition", (double)((transition_ms + 50) / 100) / 10.0);
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static void json_send(const char *topic, const struct light_level *lv, int scale,
                      int64_t transition_ms, light_emit_fn emit, void *ctx)
{
    char *payload = json_command(lv, scale, transition_ms);

    if (payload)
        emit(ctx, topic, payload);
    free(payload);
}

static void z2m_set(const struct light_def *l, const struct light_level *lv, int64_t ms,
                    light_emit_fn emit, void *ctx)
{
    char topic[HV_TOPIC_MAX];

    snprintf(topic, sizeof topic, Z2M_TOPICS, l->topic);
    json_send(topic, lv, 254, ms, emit, ctx);
}

static void ha_set(const struct light_def *l, const struct light_level *lv, int64_t ms,
                   light_emit_fn emit, void *ctx)
{
    json_send(l->topic, lv, l->brightness_scale > 0 ? l->brightness_scale : 255, ms, emit, ctx);
}

/* ---- Tasmota: one command per topic ------------------------------------------------- */

static void tasmota_cmd(const struct light_def *l, const char *cmd, const char *value,
                        light_emit_fn emit, void *ctx)
{
    char topic[HV_TOPIC_MAX];

    snprintf(topic, sizeof topic, "cmnd/%s/%s", l->topic, cmd);
    emit(ctx, topic, value);
}

/* Fades on, and of a fixed duration (Speed) rather than a fixed slew rate. */
static void tasmota_init(const struct light_def *l, light_emit_fn emit, void *ctx)
{
    tasmota_cmd(l, "Fade", "1", emit, ctx);
    tasmota_cmd(l, "SetOption117", "1", emit, ctx);
}

static void tasmota_set(const struct light_def *l, const struct light_level *lv, int64_t ms,
                        light_emit_fn emit, void *ctx)
{
    char v[16];
    long speed = lround((double)ms / 500.0);

    snprintf(v, sizeof v, "%ld", speed < 1 ? 1 : speed > TASMOTA_SPEED_MAX ? TASMOTA_SPEED_MAX : speed);
    tasmota_cmd(l, "Speed", v, emit, ctx);
    if (lv->brightness > 0 && lv->has_colour) {
        snprintf(v, sizeof v, "%02X%02X%02X", lv->rgb[0], lv->rgb[1], lv->rgb[2]);
        tasmota_cmd(l, "Color", v, emit, ctx);
    } else if (lv->brightness > 0) {
        snprintf(v, sizeof v, "%d", light_mireds(lv->kelvin));
        tasmota_cmd(l, "CT", v, emit, ctx);
    }
    snprintf(v, sizeof v, "%d", scaled(lv->brightness, 100));
    tasmota_cmd(l, "Dimmer", v, emit, ctx);
}

/* ---- the table ------------------------------------------------------------------------ */

static void null_set(const struct light_def *l, const struct light_level *lv, int64_t ms,
                     light_emit_fn emit, void *ctx)
{
    (void)l, (void)lv, (void)ms, (void)emit, (void)ctx;
}

static const struct light_driver drivers[LIGHT_DRIVER_COUNT] = {
    [LIGHT_NULL]    = { "null", NULL, JSON_TRANSITION_MAX_MS, NULL, null_set },
    [LIGHT_Z2M]     = { "zigbee2mqtt", Z2M_TOPICS, JSON_TRANSITION_MAX_MS, NULL, z2m_set },
    [LIGHT_HA]      = { "homeassistant", HA_TOPICS, JSON_TRANSITION_MAX_MS, NULL, ha_set },
    [LIGHT_TASMOTA] = { "tasmota", TASMOTA_TOPICS, TASMOTA_SPEED_MAX * 500, tasmota_init,
                        tasmota_set },
};

const struct light_driver *light_driver(enum light_driver_kind kind)
{
    return (unsigned)kind < LIGHT_DRIVER_COUNT ? &drivers[kind] : &drivers[LIGHT_NULL];
}

int light_topic_filter(const struct light_def *l, char *out, size_t len)
{
    const char *fmt = light_driver(l->driver)->topics;
    int n;

    if (!fmt)
        return -1;
    /* The format is one of the constants above, with one %s. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    n = snprintf(out, len, fmt, l->topic);
#pragma GCC diagnostic pop
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

int light_driver_from_name(const char *name)
{
    for (int i = 0; i < LIGHT_DRIVER_COUNT; i++)
        if (strcmp(drivers[i].name, name) == 0)
            return i;
    return -1;
}
