/*
 * lights.c - scenes, fades, calls, overrides and dome lights for every room.
 *
 * Each room keeps what asks for light (its phase, its call, an override, the
 * patient's theme) and what its lamps were last told (a fade from `from` to
 * `to`, sent as nsteps points).  Every event re-decides the room's target
 * with the fade that suits the event (decide(), retarget()); lights_tick()
 * sends the fade's later points, toggles flashing domes and ends overrides.
 */
#include "lights.h"
#include "err.h"
#include "log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OVERRIDE_SCENE "override"
#define DEFAULT_KELVIN 2700
/*
 * A call's light changes wait this long after the call.  Sent at once, the
 * lamp and dome messages reach the broker in the same read as the nurse's
 * page, and Mosquitto handles the whole read before it writes the page out:
 * measured, that made call->page ~0.05 ms slower (bench_callpage).  2 ms is
 * nothing to a lamp and leaves the page alone on the wire.
 */
#define CALL_SETTLE_MS 2

enum dome_mode { DOME_UNKNOWN, DOME_OFF, DOME_STEADY, DOME_FLASH };

struct room_lights {
    char id[HV_ROOM_MAX];
    const struct room_def *def;      /* in the current config */
    /* what asks for light */
    bool has_phase;
    enum phase phase;
    bool call, call_acked;
    enum priority call_prio;
    int64_t call_due;                /* the call changed: show it at this time (else INT64_MAX) */
    bool override;
    char override_scene[HV_NAME_MAX];
    struct light_level override_level;
    int64_t override_until;
    bool theme;
    char theme_scene[HV_NAME_MAX];
    enum phase theme_phase;
    /* what the lamps were told */
    bool active;                     /* told anything yet */
    char scene[HV_NAME_MAX];
    struct light_level from, to;
    int64_t start, duration;
    int nsteps, sent;                /* points of the fade, and how many went out */
    /* the dome */
    enum dome_mode dome;
    enum priority dome_prio;
    bool flash_on;
    int64_t next_flash;
};

struct lights {
    const struct room_config *cfg;
    const struct lights_ops *ops;
    void *ctx;
    struct room_lights *rooms;       /* parallel to cfg->rooms */
    size_t nrooms;
};

/* ---- helpers ------------------------------------------------------------------------- */

static void emit(void *ctx, const char *topic, const char *payload)
{
    lights *ls = ctx;

    ls->ops->command(ls->ctx, topic, payload);
}

static int room_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct room_lights *)elem)->id);
}

/* The room with this id, or NULL: rooms[] is sorted by id, as the config's rooms are. */
static struct room_lights *find(const lights *ls, const char *room)
{
    return bsearch(room, ls->rooms, ls->nrooms, sizeof *ls->rooms, room_cmp);
}

static const struct scene *scene_named(const lights *ls, const char *name)
{
    int i = roomcfg_scene(ls->cfg, name);

    return i < 0 ? NULL : &ls->cfg->lighting.scenes[i];
}

/* The longest straight step this room's fades take: config's step, or less for its lamps. */
static int64_t step_ms(const lights *ls, const struct room_lights *r)
{
    int64_t s = ls->cfg->lighting.step_ms;

    for (int i = 0; i < r->def->nlights; i++) {
        int64_t max = light_driver(r->def->lights[i].driver)->max_transition_ms;
        if (max < s)
            s = max;
    }
    return s > 0 ? s : 1;
}

/* Where the lamps are at now (the point of the fade they are gliding through). */
static struct light_level current(const struct room_lights *r, int64_t now)
{
    double f = r->duration > 0 ? (double)(now - r->start) / (double)r->duration : 1;

    return fade_at(&r->from, &r->to, f);
}

static void send_level(const lights *ls, const struct room_lights *r,
                       const struct light_level *lv, int64_t transition_ms)
{
    for (int i = 0; i < r->def->nlights; i++) {
        const struct light_def *l = &r->def->lights[i];
        light_driver(l->driver)->set(l, lv, transition_ms, emit, (void *)ls);
    }
}

/* Sends the fade's point k (1..nsteps), gliding to it over what is left until its time. */
static void send_point(const lights *ls, struct room_lights *r, int k, int64_t now)
{
    int64_t at = r->start + r->duration * k / r->nsteps;
    struct light_level lv = fade_at(&r->from, &r->to, (double)k / r->nsteps);

    send_level(ls, r, &lv, at > now ? at - now : 0);
    r->sent = k;
}

/* ---- deciding the target --------------------------------------------------------------- */

struct target {
    const char *scene;
    struct light_level level;
};

/* What the room should show now; false while nothing asks for light (no phase yet). */
static bool decide(const lights *ls, const struct room_lights *r, struct target *t)
{
    const struct lighting_config *lc = &ls->cfg->lighting;
    const struct scene *sc = NULL;

    if (r->call && lc->call_scene[r->call_prio] >= 0)
        sc = &lc->scenes[lc->call_scene[r->call_prio]];
    else if (r->override && !r->override_scene[0]) {
        *t = (struct target){ OVERRIDE_SCENE, r->override_level };
        return true;
    } else if (r->override)
        sc = scene_named(ls, r->override_scene);
    else if (r->theme && r->has_phase && r->theme_phase == r->phase && r->theme_scene[0])
        sc = scene_named(ls, r->theme_scene);
    /* No phase heard yet (a kiosk that never reported): once anything has
     * taken the lamps over, they come back to the idle scene, not stay there. */
    enum phase ph = r->has_phase ? r->phase : PHASE_IDLE;
    if (!sc && (r->has_phase || r->active) && lc->phase_scene[ph] >= 0)
        sc = &lc->scenes[lc->phase_scene[ph]];
    if (!sc)
        return false;
    *t = (struct target){ sc->name, sc->level };
    return true;
}

static bool same_level(const struct light_level *a, const struct light_level *b)
{
    return fabs(a->brightness - b->brightness) < 1e-9 && a->kelvin == b->kelvin &&
           a->has_colour == b->has_colour && (!a->has_colour || !memcmp(a->rgb, b->rgb, 3));
}

/*
 * Re-decides the room's target; if it changed, starts a fade to it over
 * fade_ms from where the lamps are now and announces the new state.  The
 * first time (nothing known of the lamps) there is no curve to follow: one
 * command, on the light's own transition.
 */
static void retarget(lights *ls, struct room_lights *r, int64_t fade_ms, int64_t now)
{
    struct target t;
    int64_t step = step_ms(ls, r);

    if (r->def->nlights == 0 || !decide(ls, r, &t))
        return;  /* a room without lamps is told nothing, and has no state to announce */
    if (r->active && strcmp(r->scene, t.scene) == 0 && same_level(&r->to, &t.level))
        return;
    r->from = r->active ? current(r, now) : t.level;
    r->to = t.level;
    r->start = now;
    r->duration = r->active ? fade_ms : (fade_ms < step ? fade_ms : step);
    r->nsteps = r->duration <= step ? 1 : (int)((r->duration + step - 1) / step);
    snprintf(r->scene, sizeof r->scene, "%s", t.scene);
    r->active = true;
    log_info("%s: lights to '%s' (%.0f%%, %d K) over %.1f s in %d step(s)", r->id, r->scene,
             r->to.brightness, r->to.kelvin, r->duration / 1000.0, r->nsteps);
    send_point(ls, r, 1, now);
    ls->ops->state(ls->ctx, r->id, r->scene, &r->to);
}

/* ---- the dome ------------------------------------------------------------------------------ */

static void dome_send(const lights *ls, const struct room_lights *r, bool on)
{
    const struct lighting_config *lc = &ls->cfg->lighting;
    struct light_level lv = { 0, DEFAULT_KELVIN, true, { 0, 0, 0 } };
    const struct light_def *d = &r->def->dome;

    if (on) {
        lv.brightness = lc->dome_brightness;
        memcpy(lv.rgb, lc->dome_rgb[r->dome_prio], 3);
    }
    light_driver(d->driver)->set(d, &lv, 0, emit, (void *)ls);
}

/* Shows the room's call on its dome: off, steady, or flashing (urgent, not acknowledged). */
static void dome_update(lights *ls, struct room_lights *r, bool force, int64_t now)
{
    enum dome_mode m = !r->call ? DOME_OFF
                     : r->call_prio == PRIO_URGENT && !r->call_acked ? DOME_FLASH : DOME_STEADY;

    if (!r->def->has_dome || (!force && m == r->dome && (m == DOME_OFF || r->dome_prio == r->call_prio)))
        return;
    r->dome = m;
    r->dome_prio = r->call_prio;
    r->flash_on = m != DOME_OFF;
    r->next_flash = m == DOME_FLASH ? now + ls->cfg->lighting.flash_ms / 2 : INT64_MAX;
    dome_send(ls, r, r->flash_on);
}

/* ---- events ---------------------------------------------------------------------------------- */

void lights_phase(lights *ls, const char *room, enum phase phase, int64_t now)
{
    struct room_lights *r = find(ls, room);

    if (!r || (r->has_phase && r->phase == phase))
        return;
    r->has_phase = true;
    r->phase = phase;
    if (r->override)
        log_info("%s: staff light override ends with the phase change", r->id);
    r->override = false;
    retarget(ls, r, ls->cfg->lighting.phase_fade_ms[phase], now);
}

void lights_call(lights *ls, const char *room, const struct contract_call *call, int64_t now)
{
    struct room_lights *r = find(ls, room);

    if (!r)
        return;
    r->call = call != NULL;
    r->call_prio = call ? call->priority : PRIO_ROUTINE;
    r->call_acked = call && call->state == CALL_ACKNOWLEDGED;
    if (r->call_due == INT64_MAX)
        r->call_due = now + CALL_SETTLE_MS;
}

/* Shows the room's call (set by lights_call) on its dome and lamps. */
static void show_call(lights *ls, struct room_lights *r, int64_t now)
{
    r->call_due = INT64_MAX;
    dome_update(ls, r, false, now);
    retarget(ls, r, r->call ? ls->cfg->lighting.call_fade_ms : ls->cfg->lighting.return_fade_ms,
             now);
}

/* The level a brightness/kelvin override asks for, starting from what the room shows. */
static struct light_level override_level(const struct room_lights *r,
                                         const struct msg_lights_set *m)
{
    struct light_level lv = r->active ? r->to : (struct light_level){ 0, DEFAULT_KELVIN, false, {0} };

    if (m->has_brightness)
        lv.brightness = m->brightness;
    if (m->has_kelvin) {
        lv.kelvin = m->kelvin;
        lv.has_colour = false;
    }
    return lv;
}

int lights_override(lights *ls, const char *room, const struct msg_lights_set *m, int64_t now,
                    const char **why)
{
    const struct lighting_config *lc = &ls->cfg->lighting;
    struct room_lights *r = find(ls, room);

    if (!r)
        return HV_EINVAL;
    if (m->scene[0] && !scene_named(ls, m->scene)) {
        *why = "no such scene in config";
        return HV_EINVAL;
    }
    r->override = !m->release;
    snprintf(r->override_scene, sizeof r->override_scene, "%s", m->scene);
    r->override_level = override_level(r, m);
    r->override_until = now + lc->override_hold_ms;
    log_info("%s: staff light override: %s", r->id,
             m->release ? "released" : m->scene[0] ? m->scene : "brightness/kelvin");
    retarget(ls, r, m->has_transition ? m->transition_ms
                    : m->release ? lc->return_fade_ms : lc->override_fade_ms, now);
    return 0;
}

void lights_theme(lights *ls, const char *room, const struct msg_kiosk_theme *m, int64_t now)
{
    struct room_lights *r = find(ls, room);

    if (!r)
        return;
    r->theme = m != NULL;
    if (m) {
        snprintf(r->theme_scene, sizeof r->theme_scene, "%s", m->scene);
        r->theme_phase = m->phase;
        if (m->scene[0] && !scene_named(ls, m->scene))
            log_warn("%s: theme '%s' asks for scene '%s', which is not in config", r->id,
                     m->theme, m->scene);
    }
    retarget(ls, r, ls->cfg->lighting.override_fade_ms, now);
}

/* ---- time ------------------------------------------------------------------------------------- */

static int64_t room_next_due(const struct room_lights *r)
{
    int64_t due = r->next_flash < r->call_due ? r->next_flash : r->call_due;

    if (r->active && r->sent < r->nsteps) {
        int64_t at = r->start + r->duration * r->sent / r->nsteps;
        if (at < due)
            due = at;
    }
    if (r->override && r->override_until < due)
        due = r->override_until;
    return due;
}

static void room_tick(lights *ls, struct room_lights *r, int64_t now)
{
    if (now >= r->call_due)
        show_call(ls, r, now);
    if (r->override && now >= r->override_until) {
        log_info("%s: staff light override held its time; back to the room's scene", r->id);
        r->override = false;
        retarget(ls, r, ls->cfg->lighting.return_fade_ms, now);
    }
    if (r->active && r->sent < r->nsteps && now >= r->start + r->duration * r->sent / r->nsteps) {
        /* Late (a long stall)? Skip to the point being glided to now. */
        int64_t k = r->duration > 0 ? (now - r->start) * r->nsteps / r->duration + 1 : r->nsteps;
        send_point(ls, r, (int)(k > r->nsteps ? r->nsteps : k), now);
    }
    if (now >= r->next_flash) {
        r->flash_on = !r->flash_on;
        r->next_flash = now + ls->cfg->lighting.flash_ms / 2;
        dome_send(ls, r, r->flash_on);
    }
}

void lights_tick(lights *ls, int64_t now)
{
    for (size_t i = 0; i < ls->nrooms; i++)
        if (room_next_due(&ls->rooms[i]) <= now)
            room_tick(ls, &ls->rooms[i], now);
}

int64_t lights_next_due(const lights *ls)
{
    int64_t due = INT64_MAX;

    for (size_t i = 0; i < ls->nrooms; i++) {
        int64_t d = room_next_due(&ls->rooms[i]);
        if (d < due)
            due = d;
    }
    return due;
}

void lights_connected(lights *ls, int64_t now)
{
    for (size_t i = 0; i < ls->nrooms; i++) {
        struct room_lights *r = &ls->rooms[i];
        for (int j = 0; j < r->def->nlights; j++) {
            const struct light_def *l = &r->def->lights[j];
            if (light_driver(l->driver)->init)
                light_driver(l->driver)->init(l, emit, ls);
        }
        if (r->def->has_dome && light_driver(r->def->dome.driver)->init)
            light_driver(r->def->dome.driver)->init(&r->def->dome, emit, ls);
        if (r->active && r->sent < r->nsteps) {  /* mid-fade: the point being glided to */
            r->sent = r->sent > 0 ? r->sent - 1 : 0;
            room_tick(ls, r, now);
        } else if (r->active) {  /* in case a lamp missed it while the link was down */
            send_level(ls, r, &r->to, ls->cfg->lighting.return_fade_ms);
        }
        if (r->active)
            ls->ops->state(ls->ctx, r->id, r->scene, &r->to);
        if (r->dome != DOME_UNKNOWN)
            dome_update(ls, r, true, now);
    }
}

/* ---- life cycle --------------------------------------------------------------------------------- */

/* A rooms array for cfg, carrying over the state of rooms also in old (may be NULL). */
static struct room_lights *rooms_for(const struct room_config *cfg, const lights *old)
{
    struct room_lights *rooms = calloc(cfg->nrooms ? cfg->nrooms : 1, sizeof *rooms);

    for (size_t i = 0; rooms && i < cfg->nrooms; i++) {
        struct room_lights *prev = old ? find(old, cfg->rooms[i].id) : NULL;
        if (prev)
            rooms[i] = *prev;
        else
            strcpy(rooms[i].id, cfg->rooms[i].id), rooms[i].next_flash = INT64_MAX,
            rooms[i].call_due = INT64_MAX;
        rooms[i].def = &cfg->rooms[i];
        if (!rooms[i].def->has_dome)
            rooms[i].dome = DOME_UNKNOWN, rooms[i].next_flash = INT64_MAX;
    }
    return rooms;
}

lights *lights_new(const struct room_config *cfg, const struct lights_ops *ops, void *ctx)
{
    lights *ls = calloc(1, sizeof *ls);

    if (!ls)
        return NULL;
    *ls = (struct lights){ cfg, ops, ctx, rooms_for(cfg, NULL), cfg->nrooms };
    if (!ls->rooms) {
        free(ls);
        return NULL;
    }
    return ls;
}

int lights_set_config(lights *ls, const struct room_config *cfg)
{
    struct room_lights *rooms = rooms_for(cfg, ls);

    if (!rooms)
        return HV_ENOMEM;
    free(ls->rooms);
    *ls = (struct lights){ cfg, ls->ops, ls->ctx, rooms, cfg->nrooms };
    return 0;
}

void lights_free(lights *ls)
{
    if (!ls)
        return;
    free(ls->rooms);
    free(ls);
}

const char *lights_scene(const lights *ls, const char *room)
{
    const struct room_lights *r = find(ls, room);

    return r && r->active ? r->scene : "";
}
