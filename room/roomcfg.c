/* roomcfg.c - reading and validating the room controller's part of haven.cfg. */
#include "roomcfg.h"
#include "err.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

static const struct cfg_row top_rows[] = {
    CFG_ROW_TEXT(struct room_config, "prefix", prefix, "haven", CFG_RESTART),
    CFG_ROWS_END
};
/* Sections read by other parts of Haven (the kiosk, lighting, questionnaires). */
static const char *const top_extra[] = {
    "controller", "broker", "groups", "reasons", "priorities", "rooms",
    "kiosk", "audio", "scenes", "lighting", "questionnaires", "themes",
    "station",   /* haven-station's own group (station/stationcfg.c) */
    "stations",  /* read below (read_stations) */
    NULL
};
static const struct cfg_row controller_rows[] = {
    CFG_ROW_TEXT(struct room_config, "id", controller_id, "room-1", CFG_RESTART),
    CFG_ROW_TEXT(struct room_config, "database", database, "/var/lib/haven/calls.db", CFG_RESTART),
    CFG_ROW_MS(struct room_config, "realert_min", realert_min_ms, 0, 3600, 30, 0),
    CFG_ROW_INT(struct room_config, "offline_grace_ms", offline_grace_ms, 0, 60000, 500, 0),
    CFG_ROW_MS(struct room_config, "online_settle", online_settle_ms, 0, 3600, 5, 0),
    CFG_ROW_INT(struct room_config, "room_input_rate", room_input_rate, 1, 100000, 20, 0),
    CFG_ROWS_END
};
static const char *const controller_extra[] = { "broker", NULL };
static const struct cfg_row stations_rows[] = {
    CFG_ROW_BOOL(struct room_config, "watch", stations.watch, 0, 0),
    CFG_ROW_TEXT(struct room_config, "group", stations.group, NULL, 0),
    CFG_ROW_MS(struct room_config, "grace", stations.grace_ms, 1, 86400, 60, 0),
    CFG_ROWS_END
};

/* Their defaults depend on the priority: default_step_s, default_ack_timeout_s. */
static const struct cfg_row policy_rows[] = {
    CFG_ROW_MS(struct prio_policy, "repeat", repeat_ms, 1, 86400, 0, 0),
    CFG_ROW_MS(struct prio_policy, "ack_timeout", ack_timeout_ms, 1, 86400, 0, 0),
    CFG_ROWS_END
};
static const char *const policy_extra[] = { "chain", NULL };
static const char *const room_keys[] = { "id", "label", "lights", "dome", NULL };
static const char *const step_keys[] = { "group", "after", NULL };

/* Defaults: help/unwell/kiosk_offline -> assist, safety -> urgent, ready -> routine. */
static const enum priority default_reason_priority[REASON_COUNT] = {
    [REASON_HELP] = PRIO_ASSIST, [REASON_UNWELL] = PRIO_ASSIST,
    [REASON_SAFETY] = PRIO_URGENT, [REASON_READY] = PRIO_ROUTINE,
    [REASON_KIOSK_OFFLINE] = PRIO_ASSIST,
};
/* Default seconds between escalation steps, and until an acknowledged call is re-paged. */
static const int default_step_s[PRIO_COUNT] = { 300, 120, 30 };
static const int default_ack_timeout_s[PRIO_COUNT] = { 900, 600, 300 };

static void set_defaults(struct room_config *c)
{
    cfg_rows_default(top_rows, c);
    cfg_rows_default(controller_rows, c);
    cfg_rows_default(stations_rows, c);
    memcpy(c->reason_priority, default_reason_priority, sizeof c->reason_priority);
    for (int p = 0; p < PRIO_COUNT; p++) {
        c->policy[p].repeat_ms = default_step_s[p] * 1000;
        c->policy[p].ack_timeout_ms = default_ack_timeout_s[p] * 1000;
    }
}

/* One topic level we build topics from (a group, the controller id): no wildcards, '/' or spaces. */
static int topic_word_valid(const char *s)
{
    return topic_prefix_valid(s) && !strchr(s, '/');
}

static int read_groups(const config_t *cfg, struct room_config *c, struct cfg_error *err)
{
    const config_setting_t *g = config_lookup(cfg, "groups");

    if (!g)
        return cfg_fail(err, NULL, c->path, "missing 'groups': list the nurse groups to page, "
                        "e.g. groups = [ \"nurses\", \"charge\" ];");
    if (!config_setting_is_array(g) && !config_setting_is_list(g))
        return cfg_fail(err, g, NULL, "'groups' must be a list of names in [ ]");
    int n = config_setting_length(g);
    if (n < 1 || n > ROOMCFG_MAX_GROUPS)
        return cfg_fail(err, g, NULL, "'groups' must name 1 to %d groups", ROOMCFG_MAX_GROUPS);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_get_string(e);
        if (!name || strlen(name) >= HV_NAME_MAX || !topic_word_valid(name))
            return cfg_fail(err, e, NULL, "group %d must be a short name without spaces, "
                            "'/', '+' or '#'", i + 1);
        if (roomcfg_has_group(c, name))
            return cfg_fail(err, e, NULL, "group '%s' is listed twice", name);
        strcpy(c->groups[c->ngroups++], name);
    }
    return 0;
}

static int read_reasons(const config_t *cfg, struct room_config *c, struct cfg_error *err)
{
    const config_setting_t *g = config_lookup(cfg, "reasons");
    int n = g ? config_setting_length(g) : 0;

    if (g && !config_setting_is_group(g))
        return cfg_fail(err, g, NULL, "'reasons' must be a group { help = \"assist\"; ... }");
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
        int r = reason_from_name(config_setting_name(e));
        const char *v = config_setting_get_string(e);
        int p = priority_from_name(v);
        if (r < 0)
            return cfg_fail(err, e, NULL, "unknown reason '%s' (help, unwell, safety, ready, "
                            "kiosk_offline)", config_setting_name(e));
        if (p < 0)
            return cfg_fail(err, e, NULL, "reason '%s': priority must be \"routine\", "
                            "\"assist\" or \"urgent\"", config_setting_name(e));
        c->reason_priority[r] = (enum priority)p;
    }
    return 0;
}

/* Reads one {group, after} step of a chain. */
static int read_step(const config_setting_t *e, const struct room_config *c,
                     struct chain_step *step, int index, struct cfg_error *err)
{
    const char *group = NULL;

    if (!config_setting_is_group(e))
        return cfg_fail(err, e, NULL, "a chain step must be { group = \"...\"; after = <seconds>; }");
    cfg_rows_warn_unknown(e, NULL, step_keys);
    if (!config_setting_lookup_string(e, "group", &group))
        return cfg_fail(err, e, NULL, "chain step %d: missing group", index + 1);
    if (!roomcfg_has_group(c, group))
        return cfg_fail(err, e, NULL, "chain step %d: group '%s' is not in 'groups'",
                        index + 1, group);
    if (cfg_get_ms(config_setting_get_member(e, "after"), &step->after_ms) ||
        step->after_ms < 0 || step->after_ms > 86400000)
        return cfg_fail(err, e, NULL, "chain step %d: 'after' must be 0 to 86400 seconds",
                        index + 1);
    strcpy(step->group, group);
    return 0;
}

static int read_chain(const config_setting_t *chain, const struct room_config *c,
                      struct prio_policy *pol, struct cfg_error *err)
{
    int n = config_setting_length(chain);

    if (!config_setting_is_list(chain) || n < 1 || n > ROOMCFG_MAX_STEPS)
        return cfg_fail(err, chain, NULL, "'chain' must be a list ( {...}, ... ) of 1 to %d steps",
                        ROOMCFG_MAX_STEPS);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(chain, (unsigned)i);
        int rc = read_step(e, c, &pol->steps[i], i, err);
        if (rc)
            return rc;
        if (i == 0 && pol->steps[0].after_ms != 0)
            return cfg_fail(err, e, NULL, "the first step pages when the call opens: "
                            "its 'after' must be 0");
        if (i > 0 && pol->steps[i].after_ms <= pol->steps[i - 1].after_ms)
            return cfg_fail(err, e, NULL, "chain step %d: 'after' must be later than the "
                            "step before it (seconds since the call was raised)", i + 1);
    }
    pol->nsteps = n;
    return 0;
}

/* Each priority: the default chain pages every group in order, default_step_s apart. */
static int read_priorities(const config_t *cfg, struct room_config *c, struct cfg_error *err)
{
    const config_setting_t *g = config_lookup(cfg, "priorities");

    if (g && !config_setting_is_group(g))
        return cfg_fail(err, g, NULL, "'priorities' must be a group { routine = {...}; ... }");
    for (int i = 0; g && i < config_setting_length(g); i++) {
        const config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
        if (priority_from_name(config_setting_name(e)) < 0)
            return cfg_fail(err, e, NULL, "unknown priority '%s' (routine, assist, urgent)",
                            config_setting_name(e));
    }
    for (int p = 0; p < PRIO_COUNT; p++) {
        struct prio_policy *pol = &c->policy[p];
        const config_setting_t *s = g ? config_setting_get_member(g, priority_name(p)) : NULL;
        const config_setting_t *chain = s ? config_setting_get_member(s, "chain") : NULL;
        int rc;

        for (int i = 0; i < c->ngroups && i < ROOMCFG_MAX_STEPS; i++) {
            strcpy(pol->steps[i].group, c->groups[i]);
            pol->steps[i].after_ms = (int64_t)i * default_step_s[p] * 1000;
            pol->nsteps = i + 1;
        }
        if (!s)
            continue;
        cfg_rows_warn_unknown(s, policy_rows, policy_extra);
        if ((rc = cfg_rows_read(s, policy_rows, pol, err)) != 0)
            return rc;
        if (chain && (rc = read_chain(chain, c, pol, err)) != 0)
            return rc;
    }
    return 0;
}

/* stations { watch; group; grace; }: absent, or watch = false, leaves supervision off. */
static int read_stations(const config_t *cfg, struct room_config *c, struct cfg_error *err)
{
    const config_setting_t *g = config_lookup(cfg, "stations");
    int rc;

    if (!g)
        return 0;
    if (!config_setting_is_group(g))
        return cfg_fail(err, g, NULL, "'stations' must be a group "
                        "{ watch = true; group = \"charge\"; grace = 60; }");
    cfg_rows_warn_unknown(g, stations_rows, NULL);
    if ((rc = cfg_rows_read(g, stations_rows, c, err)) != 0)
        return rc;
    if (!c->stations.watch)
        return 0;
    if (!c->stations.group[0] || !roomcfg_has_group(c, c->stations.group)) {
        const config_setting_t *at = config_setting_get_member(g, "group");
        return cfg_fail(err, at ? at : g, NULL, "stations: 'group' must be one of 'groups' "
                        "(the group paged when no nurse-station board has sound on)");
    }
    return 0;
}

static int room_cmp(const void *a, const void *b)
{
    return strcmp(((const struct room_def *)a)->id, ((const struct room_def *)b)->id);
}

static int read_room(const config_setting_t *e, struct room_def *r, struct cfg_error *err)
{
    const char *id = NULL, *label = NULL;

    if (!config_setting_is_group(e))
        return cfg_fail(err, e, NULL, "a room must be { id = \"chair-1\"; label = \"Chair 1\"; }");
    cfg_rows_warn_unknown(e, NULL, room_keys);
    if (!config_setting_lookup_string(e, "id", &id) || !room_id_valid(id))
        return cfg_fail(err, e, NULL, "room id must be 1 to 32 of a-z, 0-9 and '-', "
                        "e.g. \"chair-1\"");
    const config_setting_t *lab = config_setting_get_member(e, "label");
    if (lab && config_setting_type(lab) != CONFIG_TYPE_STRING)
        return cfg_fail(err, lab, NULL, "room '%s': label must be text in double quotes", id);
    if (config_setting_lookup_string(e, "label", &label) &&
        (strlen(label) == 0 || strlen(label) >= HV_NAME_MAX))
        return cfg_fail(err, e, NULL, "room '%s': label must be 1 to %d characters",
                        id, HV_NAME_MAX - 1);
    strcpy(r->id, id);
    strcpy(r->label, label ? label : id);
    return lightcfg_read_room(e, r->id, &r->lights, &r->nlights, &r->dome, &r->has_dome, err);
}

static int read_rooms(const config_t *cfg, struct room_config *c, struct cfg_error *err)
{
    const config_setting_t *g = config_lookup(cfg, "rooms");
    int n = g ? config_setting_length(g) : 0;

    if (!g || !config_setting_is_list(g) || n < 1)
        return cfg_fail(err, g, c->path, "'rooms' must list at least one room: "
                        "rooms = ( { id = \"chair-1\"; label = \"Chair 1\"; } );");
    c->rooms = calloc((size_t)n, sizeof *c->rooms);
    if (!c->rooms)
        return cfg_fail(err, g, NULL, "out of memory for %d rooms", n);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
        int rc = read_room(e, &c->rooms[i], err);
        c->nrooms++;  /* counted even on error: roomcfg_free frees its lights */
        if (rc)
            return rc;
        /* Checked before sorting, so the error points at the second entry. */
        for (int j = 0; j < i; j++)
            if (strcmp(c->rooms[j].id, c->rooms[i].id) == 0)
                return cfg_fail(err, e, NULL, "room '%s' is listed twice", c->rooms[i].id);
    }
    qsort(c->rooms, c->nrooms, sizeof *c->rooms, room_cmp);
    return 0;
}

/*
 * Reads the scalar sections: prefix, controller { }, broker { }, and the
 * controller's own credentials in controller { broker { } }, which override
 * the shared broker { } (docs/deployment.md).
 */
static int read_scalars(const config_t *cfg, struct room_config *c, struct cfg_error *err)
{
    const config_setting_t *root = config_root_setting(cfg);
    const config_setting_t *ctl = config_lookup(cfg, "controller");
    const config_setting_t *brk[2] = { config_lookup(cfg, "broker"),
                                       config_lookup(cfg, "controller.broker") };
    int rc;

    cfg_rows_warn_unknown(root, top_rows, top_extra);
    cfg_rows_warn_unknown(ctl, controller_rows, controller_extra);
    cfg_rows_warn_unknown(brk[0], cfg_broker_rows, NULL);
    cfg_rows_warn_unknown(brk[1], cfg_broker_rows, NULL);
    if ((rc = cfg_rows_read(root, top_rows, c, err)) ||
        (rc = cfg_rows_read(ctl, controller_rows, c, err)) ||
        (rc = cfg_broker_read(brk, 2, c->path, NULL, &c->broker, err)))
        return rc;
    if (!topic_prefix_valid(c->prefix))
        return cfg_fail(err, config_lookup(cfg, "prefix"), c->path,
                        "'prefix' must be a topic without wildcards or leading/trailing '/'");
    if (!topic_word_valid(c->controller_id))
        return cfg_fail(err, config_lookup(cfg, "controller.id"), c->path,
                        "controller 'id' must be a name without spaces, '/', '+' or '#'");
    return 0;
}

static bool any_lights(const struct room_config *c)
{
    for (size_t i = 0; i < c->nrooms; i++)
        if (c->rooms[i].nlights > 0)
            return true;
    return false;
}

int roomcfg_load(const char *path, struct room_config *out, struct cfg_error *err)
{
    config_t cfg;
    int rc;

    memset(out, 0, sizeof *out);
    if (strlen(path) >= sizeof out->path)
        return cfg_fail(err, NULL, path, "path too long");
    strcpy(out->path, path);
    set_defaults(out);
    if ((rc = cfg_load(&cfg, path, err)) != 0)
        return rc;
    if ((rc = read_scalars(&cfg, out, err)) || (rc = read_groups(&cfg, out, err)) ||
        (rc = read_reasons(&cfg, out, err)) || (rc = read_priorities(&cfg, out, err)) ||
        (rc = read_stations(&cfg, out, err)) ||
        (rc = read_rooms(&cfg, out, err)) ||
        (rc = lightcfg_read(&cfg, out->path, any_lights(out), &out->lighting, err)))
        roomcfg_free(out);
    config_destroy(&cfg);
    return rc;
}

void roomcfg_free(struct room_config *cfg)
{
    for (size_t i = 0; i < cfg->nrooms; i++)
        free(cfg->rooms[i].lights);
    free(cfg->rooms);
    cfg->rooms = NULL;
    cfg->nrooms = 0;
}

const struct room_def *roomcfg_room(const struct room_config *cfg, const char *id)
{
    struct room_def key;

    if (!room_id_valid(id))
        return NULL;
    strcpy(key.id, id);
    return bsearch(&key, cfg->rooms, cfg->nrooms, sizeof *cfg->rooms, room_cmp);
}

int roomcfg_has_group(const struct room_config *cfg, const char *group)
{
    for (int i = 0; i < cfg->ngroups; i++)
        if (strcmp(cfg->groups[i], group) == 0)
            return 1;
    return 0;
}

int roomcfg_scene(const struct room_config *cfg, const char *name)
{
    return lightcfg_scene(&cfg->lighting, name);
}

int roomcfg_keep_restart(struct room_config *next, const struct room_config *running)
{
    return cfg_rows_keep(top_rows, next, running, "reload", "") +
           cfg_rows_keep(controller_rows, next, running, "reload", "controller.") +
           cfg_rows_keep(cfg_broker_rows, &next->broker, &running->broker, "reload", "broker.");
}
