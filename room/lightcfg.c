/*
 * lightcfg.c - reading and checking the lighting settings.
 *
 *   scenes   = { infusion = { brightness = 15; kelvin = 2200; }; ... };
 *   lighting = { phases = { infusion = { scene = "infusion"; fade = 45; }; ... };
 *                calls = { urgent = "care"; }; call_fade = 1; ...
 *                dome = { urgent = "#e02020"; ... }; };
 *   rooms    = ( { id = "chair-1"; lights = ( { driver = "zigbee2mqtt";
 *                  topic = "zigbee2mqtt/chair-1-lamp"; } ); dome = { ... }; } );
 *
 * Every error names the file and line; anything that reaches a light has been
 * range-checked here or in the override decoder.
 */
#include "lightcfg.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KELVIN_MIN 2000
#define KELVIN_MAX 6500
#define DEFAULT_KELVIN 2700

/* Fade into each phase: tens of seconds into the infusion, a few seconds elsewhere. */
static const int default_phase_fade_s[PHASE_COUNT] = { 5, 5, 45, 10, 5 };
static const uint8_t default_dome_rgb[PRIO_COUNT][3] = {
    { 0x30, 0x70, 0xff }, { 0xff, 0xa0, 0x00 }, { 0xff, 0x20, 0x00 },
};

static const struct cfg_row lighting_rows[] = {
    CFG_ROW_MS(struct lighting_config, "call_fade", call_fade_ms, 0, 60, 1, 0),
    CFG_ROW_MS(struct lighting_config, "return_fade", return_fade_ms, 0, 600, 5, 0),
    CFG_ROW_MS(struct lighting_config, "override_fade", override_fade_ms, 0, 600, 3, 0),
    CFG_ROW_MS(struct lighting_config, "override_hold", override_hold_ms, 1, 86400, 3600, 0),
    CFG_ROW_MS(struct lighting_config, "step", step_ms, 0.5, 60, 5, 0),
    CFG_ROWS_END
};
static const char *const lighting_extra[] = { "phases", "calls", "dome", NULL };
static const char *const dome_keys[] = { "routine", "assist", "urgent", "brightness", "flash", NULL };
static const char *const scene_keys[] = { "brightness", "kelvin", "colour", NULL };
static const char *const phase_keys[] = { "scene", "fade", NULL };
static const char *const light_keys[] = { "driver", "topic", "brightness_scale", NULL };

/* ---- small readers ------------------------------------------------------------------ */

/* "#rrggbb" into rgb; 0 or -1. */
static int parse_colour(const char *s, uint8_t rgb[3])
{
    unsigned r, g, b;
    char end;

    if (!s || strlen(s) != 7 || sscanf(s, "#%2x%2x%2x%c", &r, &g, &b, &end) != 3)
        return -1;
    for (int i = 1; i < 7; i++)
        if (!strchr("0123456789abcdefABCDEF", s[i]))
            return -1;
    rgb[0] = (uint8_t)r, rgb[1] = (uint8_t)g, rgb[2] = (uint8_t)b;
    return 0;
}

static int read_colour(const config_setting_t *s, uint8_t rgb[3], struct cfg_error *err)
{
    if (parse_colour(config_setting_get_string(s), rgb))
        return cfg_fail(err, s, NULL, "'%s' must be a colour \"#rrggbb\", e.g. \"#ff2000\"",
                        config_setting_name(s));
    return 0;
}

/* A number member of group within [min, max], or def when absent. */
static int read_number(const config_setting_t *group, const char *key, double min, double max,
                       double def, double *out, struct cfg_error *err)
{
    const config_setting_t *s = config_setting_get_member(group, key);

    *out = def;
    if (!s)
        return 0;
    if (cfg_get_number(s, out) || *out < min || *out > max)
        return cfg_fail(err, s, NULL, "'%s' must be a number from %g to %g", key, min, max);
    return 0;
}

/* Scene names go on the wire (lights/state) and in overrides: a short word. */
static int scene_name_valid(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= HV_NAME_MAX || strcmp(s, "override") == 0)
        return 0;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_-", *s))
            return 0;
    return 1;
}

/* ---- rooms: lights and dome ------------------------------------------------------------ */

static int light_topic_valid(const char *t, size_t max)
{
    size_t n = strlen(t);

    if (n == 0 || n >= max || t[0] == '/' || t[n - 1] == '/')
        return 0;
    for (; *t; t++)
        if (*t == '+' || *t == '#' || (unsigned char)*t <= ' ' || *t == 0x7f)
            return 0;
    return 1;
}

/* One { driver = "..."; topic = "..."; } entry. */
static int read_light(const config_setting_t *e, const char *room, struct light_def *l,
                      struct cfg_error *err)
{
    const char *driver = NULL, *topic = NULL;
    double scale;
    int kind, rc;

    if (!config_setting_is_group(e))
        return cfg_fail(err, e, NULL, "room '%s': a light must be { driver = \"zigbee2mqtt\"; "
                        "topic = \"zigbee2mqtt/%s-lamp\"; }", room, room);
    cfg_rows_warn_unknown(e, NULL, light_keys);
    if (!config_setting_lookup_string(e, "driver", &driver) ||
        (kind = light_driver_from_name(driver)) < 0)
        return cfg_fail(err, e, NULL, "room '%s': a light's driver must be \"zigbee2mqtt\", "
                        "\"homeassistant\", \"tasmota\" or \"null\"", room);
    l->driver = (enum light_driver_kind)kind;
    if (!config_setting_lookup_string(e, "topic", &topic))
        topic = kind == LIGHT_NULL ? "-" : NULL;
    if (!topic || !light_topic_valid(topic, sizeof l->topic))
        return cfg_fail(err, e, NULL, "room '%s': a light's topic must be an MQTT topic "
                        "without '+', '#' or spaces (at most %zu bytes)", room,
                        sizeof l->topic - 1);
    strcpy(l->topic, topic);
    if ((rc = read_number(e, "brightness_scale", 1, 65535, 255, &scale, err)) != 0)
        return rc;
    l->brightness_scale = (int)scale;
    return 0;
}

int lightcfg_read_room(const config_setting_t *room, const char *id, struct light_def **out,
                       int *nlights, struct light_def *dome_def, bool *has_dome,
                       struct cfg_error *err)
{
    const config_setting_t *lights = config_setting_get_member(room, "lights");
    const config_setting_t *dome = config_setting_get_member(room, "dome");
    int n = lights ? config_setting_length(lights) : 0, rc;

    if (lights && (!config_setting_is_list(lights) || n < 1 || n > LIGHTCFG_MAX_LIGHTS))
        return cfg_fail(err, lights, NULL, "room '%s': 'lights' must be a list ( {...}, ... ) "
                        "of 1 to %d lights", id, LIGHTCFG_MAX_LIGHTS);
    if (n > 0 && !(*out = calloc((size_t)n, sizeof **out)))
        return cfg_fail(err, lights, NULL, "out of memory");
    for (int i = 0; i < n; i++, (*nlights)++)
        if ((rc = read_light(config_setting_get_elem(lights, (unsigned)i), id,
                             &(*out)[i], err)) != 0)
            return rc;
    if (dome) {
        if ((rc = read_light(dome, id, dome_def, err)) != 0)
            return rc;
        *has_dome = true;
    }
    return 0;
}

int lightcfg_scene(const struct lighting_config *lc, const char *name)
{
    for (int i = 0; i < lc->nscenes; i++)
        if (strcmp(lc->scenes[i].name, name) == 0)
            return i;
    return -1;
}

/* ---- scenes ------------------------------------------------------------------------------ */

static int read_scene(const config_setting_t *e, struct scene *sc, struct cfg_error *err)
{
    const char *name = config_setting_name(e);
    const config_setting_t *colour;
    double v;
    int rc;

    if (!scene_name_valid(name))
        return cfg_fail(err, e, NULL, "scene name '%s' must be a-z, 0-9, '_' or '-' (and not "
                        "\"override\")", name);
    if (!config_setting_is_group(e))
        return cfg_fail(err, e, NULL, "scene '%s' must be { brightness = 40; kelvin = 2700; }",
                        name);
    cfg_rows_warn_unknown(e, NULL, scene_keys);
    snprintf(sc->name, sizeof sc->name, "%s", name);
    if (!config_setting_get_member(e, "brightness"))
        return cfg_fail(err, e, NULL, "scene '%s': missing brightness (0 to 100 %%)", name);
    if ((rc = read_number(e, "brightness", 0, 100, 0, &sc->level.brightness, err)) ||
        (rc = read_number(e, "kelvin", KELVIN_MIN, KELVIN_MAX, DEFAULT_KELVIN, &v, err)))
        return rc;
    sc->level.kelvin = (int)v;
    if ((colour = config_setting_get_member(e, "colour")) != NULL) {
        if ((rc = read_colour(colour, sc->level.rgb, err)) != 0)
            return rc;
        sc->level.has_colour = true;
    }
    return 0;
}

static int read_scenes(const config_t *cfg, struct lighting_config *lc, struct cfg_error *err)
{
    const config_setting_t *g = config_lookup(cfg, "scenes");
    int n = g ? config_setting_length(g) : 0, rc;

    if (g && !config_setting_is_group(g))
        return cfg_fail(err, g, NULL, "'scenes' must be a group { idle = {...}; ... }");
    if (n > LIGHTCFG_MAX_SCENES)
        return cfg_fail(err, g, NULL, "at most %d scenes", LIGHTCFG_MAX_SCENES);
    for (int i = 0; i < n; i++, lc->nscenes++)
        if ((rc = read_scene(config_setting_get_elem(g, (unsigned)i), &lc->scenes[i],
                             err)) != 0)
            return rc;
    return 0;
}

/* ---- lighting { } ------------------------------------------------------------------------- */

/*
 * A scene name in config that must be one of scenes { }; *index gets it.
 * With allow_none, "" is allowed and gives -1 (calls { assist = ""; }).
 */
static int scene_ref(const struct lighting_config *lc, const config_setting_t *s, bool allow_none,
                     int *index, struct cfg_error *err)
{
    const char *name = config_setting_get_string(s);

    if (!name)
        return cfg_fail(err, s, NULL, "'%s' must be a scene name in double quotes",
                        config_setting_name(s));
    if (allow_none && name[0] == '\0') {
        *index = -1;
        return 0;
    }
    if ((*index = lightcfg_scene(lc, name)) < 0)
        return cfg_fail(err, s, NULL, "scene '%s' is not in scenes { }", name);
    return 0;
}

static int read_phases(const config_setting_t *g, struct lighting_config *lc,
                       struct cfg_error *err)
{
    if (!config_setting_is_group(g))
        return cfg_fail(err, g, NULL, "'phases' must be a group { infusion = { scene = "
                        "\"infusion\"; fade = 45; }; ... }");
    for (int i = 0; i < config_setting_length(g); i++) {
        const config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
        const config_setting_t *scene = config_setting_get_member(e, "scene");
        const config_setting_t *fade = config_setting_get_member(e, "fade");
        int p = phase_from_name(config_setting_name(e)), rc;

        if (p < 0 || !config_setting_is_group(e))
            return cfg_fail(err, e, NULL, "'%s' is not a phase (idle, intake, infusion, recovery, "
                            "discharge) set as { scene = \"...\"; fade = <seconds>; }",
                            config_setting_name(e));
        cfg_rows_warn_unknown(e, NULL, phase_keys);
        if (scene && (rc = scene_ref(lc, scene, false, &lc->phase_scene[p], err)) != 0)
            return rc;
        if (fade && (cfg_get_ms(fade, &lc->phase_fade_ms[p]) || lc->phase_fade_ms[p] < 0 ||
                     lc->phase_fade_ms[p] > 3600000))
            return cfg_fail(err, fade, NULL, "'fade' must be 0 to 3600 seconds");
    }
    return 0;
}

static int read_calls(const config_setting_t *g, struct lighting_config *lc, struct cfg_error *err)
{
    if (!config_setting_is_group(g))
        return cfg_fail(err, g, NULL, "'calls' must be a group { urgent = \"care\"; }");
    for (int i = 0; i < config_setting_length(g); i++) {
        const config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
        int p = priority_from_name(config_setting_name(e)), rc;

        if (p < 0)
            return cfg_fail(err, e, NULL, "'%s' is not a priority (routine, assist, urgent)",
                            config_setting_name(e));
        if ((rc = scene_ref(lc, e, true, &lc->call_scene[p], err)) != 0)
            return rc;
    }
    return 0;
}

static int read_dome(const config_setting_t *g, struct lighting_config *lc, struct cfg_error *err)
{
    int64_t flash = lc->flash_ms;
    int rc;

    if (!config_setting_is_group(g))
        return cfg_fail(err, g, NULL, "'dome' must be a group { urgent = \"#ff2000\"; ... }");
    cfg_rows_warn_unknown(g, NULL, dome_keys);
    for (int p = 0; p < PRIO_COUNT; p++) {
        const config_setting_t *s = config_setting_get_member(g, priority_name(p));
        if (s && (rc = read_colour(s, lc->dome_rgb[p], err)) != 0)
            return rc;
    }
    if ((rc = read_number(g, "brightness", 1, 100, lc->dome_brightness, &lc->dome_brightness,
                          err)) != 0)
        return rc;
    const config_setting_t *f = config_setting_get_member(g, "flash");
    if (f && (cfg_get_ms(f, &flash) || flash < 500 || flash > 10000))
        return cfg_fail(err, f, NULL, "'flash' must be 0.5 to 10 seconds (one on and off)");
    lc->flash_ms = flash;
    return 0;
}

/* The defaults that depend on the scenes read: each phase's own, and care for urgent calls. */
static void set_defaults(struct lighting_config *lc)
{
    for (int p = 0; p < PHASE_COUNT; p++) {
        lc->phase_scene[p] = lightcfg_scene(lc, phase_name(p));
        lc->phase_fade_ms[p] = default_phase_fade_s[p] * 1000;
    }
    for (int p = 0; p < PRIO_COUNT; p++)
        lc->call_scene[p] = -1;
    lc->call_scene[PRIO_URGENT] = lightcfg_scene(lc, "care");
    cfg_rows_default(lighting_rows, lc);
    memcpy(lc->dome_rgb, default_dome_rgb, sizeof lc->dome_rgb);
    lc->dome_brightness = 100;
    lc->flash_ms = 2000;
}

int lightcfg_read(const config_t *cfg, const char *path, bool any_lights,
                  struct lighting_config *lc, struct cfg_error *err)
{
    const config_setting_t *g = config_lookup(cfg, "lighting"), *s;
    int rc;

    if ((rc = read_scenes(cfg, lc, err)) != 0)
        return rc;
    set_defaults(lc);
    if (g && !config_setting_is_group(g))
        return cfg_fail(err, g, NULL, "'lighting' must be a group { phases = {...}; ... }");
    if (g) {
        cfg_rows_warn_unknown(g, lighting_rows, lighting_extra);
        if ((rc = cfg_rows_read(g, lighting_rows, lc, err)) != 0)
            return rc;
        if ((s = config_setting_get_member(g, "phases")) && (rc = read_phases(s, lc, err)))
            return rc;
        if ((s = config_setting_get_member(g, "calls")) && (rc = read_calls(s, lc, err)))
            return rc;
        if ((s = config_setting_get_member(g, "dome")) && (rc = read_dome(s, lc, err)))
            return rc;
    }
    for (int p = 0; p < PHASE_COUNT && any_lights; p++)
        if (lc->phase_scene[p] < 0)
            return cfg_fail(err, g ? g : config_lookup(cfg, "scenes"), path,
                            "rooms have lights but phase '%s' has no scene: add scenes { %s = "
                            "{ brightness = ...; }; } or lighting { phases { %s = { scene = "
                            "\"...\"; }; }; }", phase_name(p), phase_name(p), phase_name(p));
    return 0;
}
