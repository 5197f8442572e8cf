/*
 * report.c - `haven-room report` and `haven-room check`.
 *
 * The report is what nurse managers ask for: per room, how many calls, and
 * how long from raised to acknowledged (p50, p90, worst), read from the call
 * log.  Percentiles are nearest-rank over the acknowledged calls.
 */
#include "calllog.h"
#include "clock.h"
#include "controller.h"
#include "roomcfg.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_seconds(double s)
{
    if (s < 0)
        printf(" %9s", "-");
    else if (s < 600)
        printf(" %8.1fs", s);
    else
        printf(" %6.1fmin", s / 60);
}

static void print_row(const char *room, const char *label, const struct report_row *r)
{
    printf("%-14s %-16s %6d %6d %6d", room, label, r->calls, r->urgent, r->acknowledged);
    print_seconds(r->p50_s);
    print_seconds(r->p90_s);
    print_seconds(r->max_s);
    printf("\n");
}

int report_run(const char *config_path, const char *db_path, const char *since)
{
    struct room_config cfg;
    struct cfg_error err;
    struct report_row *rows = NULL, none;
    int64_t since_ms = 0;
    calllog *log;
    int n;

    if (roomcfg_load(config_path, &cfg, &err) != 0) {
        fprintf(stderr, "haven-room: %s\n", err.text);
        return 2;
    }
    if (since && clock_parse_rfc3339(since, &since_ms) != 0) {
        fprintf(stderr, "haven-room: --since must be a date (2026-11-01) or an RFC 3339 time, "
                        "not '%s'\n", since);
        roomcfg_free(&cfg);
        return 2;
    }
    log = calllog_open(db_path ? db_path : cfg.database);
    n = log ? calllog_report(log, since_ms, &rows) : -1;
    if (n < 0) {
        calllog_close(log);
        roomcfg_free(&cfg);
        return 1;
    }
    printf("Nurse-call response times%s%s (raised -> acknowledged)\n\n",
           since ? " since " : "", since ? since : "");
    printf("%-14s %-16s %6s %6s %6s %9s %9s %9s\n", "room", "label", "calls", "urgent",
           "acked", "p50", "p90", "max");
    memset(&none, 0, sizeof none);
    none.p50_s = none.p90_s = none.max_s = -1;
    /* Every configured room, in config order of ids, then rooms no longer configured. */
    for (size_t i = 0; i < cfg.nrooms; i++) {
        const struct report_row *r = &none;
        for (int j = 0; j < n; j++)
            if (strcmp(rows[j].room, cfg.rooms[i].id) == 0)
                r = &rows[j];
        print_row(cfg.rooms[i].id, cfg.rooms[i].label, r);
    }
    for (int j = 0; j < n; j++)
        if (!roomcfg_room(&cfg, rows[j].room))
            print_row(rows[j].room, "(not configured)", &rows[j]);
    free(rows);
    calllog_close(log);
    roomcfg_free(&cfg);
    return 0;
}

/* The lighting part of `check`: each phase's scene and fade, call scenes, lamps per driver. */
static void check_print_lighting(const struct room_config *cfg)
{
    const struct lighting_config *lc = &cfg->lighting;
    int lamps[LIGHT_DRIVER_COUNT] = { 0 }, domes = 0, total = 0;

    for (size_t i = 0; i < cfg->nrooms; i++) {
        for (int j = 0; j < cfg->rooms[i].nlights; j++, total++)
            lamps[cfg->rooms[i].lights[j].driver]++;
        domes += cfg->rooms[i].has_dome;
    }
    printf("  lighting: %d scene(s);", lc->nscenes);
    for (int p = 0; p < PHASE_COUNT; p++)
        if (lc->phase_scene[p] >= 0)
            printf(" %s=%s/%gs", phase_name((enum phase)p), lc->scenes[lc->phase_scene[p]].name,
                   lc->phase_fade_ms[p] / 1000.0);
    for (int p = 0; p < PRIO_COUNT; p++)
        if (lc->call_scene[p] >= 0)
            printf("; %s call=%s", priority_name((enum priority)p),
                   lc->scenes[lc->call_scene[p]].name);
    printf("\n  lamps:");
    for (int d = 0, n = 0; d < LIGHT_DRIVER_COUNT; d++)
        if (lamps[d])
            printf("%s %d %s", n++ ? "," : "", lamps[d], light_driver((enum light_driver_kind)d)->name);
    printf("%s; %d dome light(s)\n", total ? "" : " none",
           domes);
}

int check_run(const char *config_path)
{
    struct room_config cfg;
    struct cfg_error err;

    if (roomcfg_load(config_path, &cfg, &err) != 0) {
        fprintf(stderr, "haven-room: %s\n", err.text);
        return 2;
    }
    printf("%s: OK: %zu room(s), %d group(s), prefix '%s'\n", config_path, cfg.nrooms,
           cfg.ngroups, cfg.prefix);
    for (int p = 0; p < PRIO_COUNT; p++) {
        const struct prio_policy *pol = &cfg.policy[p];
        printf("  %-8s", priority_name((enum priority)p));
        for (int i = 0; i < pol->nsteps; i++)
            printf(" %s%s@%gs", i ? "-> " : "", pol->steps[i].group, pol->steps[i].after_ms / 1000.0);
        printf("; repeat %gs; acknowledged re-paged after %gs\n", pol->repeat_ms / 1000.0,
               pol->ack_timeout_ms / 1000.0);
    }
    check_print_lighting(&cfg);
    roomcfg_free(&cfg);
    return 0;
}

/* "light <topic filter>": where the controller publishes commands for l (for the broker's ACL). */
static void print_light_topic(const struct light_def *l)
{
    char filter[HV_TOPIC_MAX];

    if (light_topic_filter(l, filter, sizeof filter) == 0)
        printf("light %s\n", filter);
}

/*
 * l's light bridge login (DESIGN P7) into out: a Tasmota device is a bridge
 * of its own ("lights-<topic, / as ->"), zigbee2mqtt and Home Assistant
 * lights share the bridge of their topic's first level ("lights-<first
 * level>").  Characters a broker username may not hold become '-'.
 */
static void bridge_login(const struct light_def *l, char *out, size_t len)
{
    size_t n = l->driver == LIGHT_TASMOTA ? strlen(l->topic) : strcspn(l->topic, "/");

    snprintf(out, len, "lights-%.*s", (int)n, l->topic);
    for (char *c = out + strlen("lights-"); *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '.' && *c != '_' && *c != '-')
            *c = '-';
}

/* The configured lights (lamps, then the dome) in order: the i-th, or NULL past the end. */
static const struct light_def *nth_light(const struct room_config *cfg, size_t i)
{
    for (size_t r = 0; r < cfg->nrooms; r++) {
        const struct room_def *room = &cfg->rooms[r];
        size_t here = (size_t)room->nlights + (room->has_dome ? 1 : 0);
        if (i < here)
            return i < (size_t)room->nlights ? &room->lights[i] : &room->dome;
        i -= here;
    }
    return NULL;
}

/* True if light i publishes anything and no earlier light has login or (same login) filter. */
static bool first_of(const struct room_config *cfg, size_t i, bool by_filter)
{
    char login[HV_TOPIC_MAX], other[HV_TOPIC_MAX], f1[HV_TOPIC_MAX], f2[HV_TOPIC_MAX];
    const struct light_def *l = nth_light(cfg, i), *m;

    if (light_topic_filter(l, f1, sizeof f1) != 0)
        return false;
    bridge_login(l, login, sizeof login);
    for (size_t j = 0; j < i && (m = nth_light(cfg, j)); j++) {
        if (light_topic_filter(m, f2, sizeof f2) != 0)
            continue;
        bridge_login(m, other, sizeof other);
        if (!strcmp(login, other) && (!by_filter || !strcmp(f1, f2)))
            return false;
    }
    return true;
}

/* "bridge <login> <command topic>...": one line per light bridge, each topic once. */
static void print_bridges(const struct room_config *cfg)
{
    char login[HV_TOPIC_MAX], other[HV_TOPIC_MAX], filter[HV_TOPIC_MAX];
    const struct light_def *l, *m;

    for (size_t i = 0; (l = nth_light(cfg, i)); i++) {
        if (!first_of(cfg, i, false))
            continue;
        bridge_login(l, login, sizeof login);
        printf("bridge %s", login);
        for (size_t j = i; (m = nth_light(cfg, j)); j++) {
            bridge_login(m, other, sizeof other);
            if (!strcmp(login, other) && first_of(cfg, j, true) &&
                light_topic_filter(m, filter, sizeof filter) == 0)
                printf(" %s", filter);
        }
        printf("\n");
    }
}

int list_run(const char *config_path)
{
    struct room_config cfg;
    struct cfg_error err;

    /* A first install lists the clinic before its password files exist. */
    cfg_secrets_optional = true;
    if (roomcfg_load(config_path, &cfg, &err) != 0) {
        fprintf(stderr, "haven-room: %s\n", err.text);
        return 2;
    }
    printf("prefix %s\ncontroller %s\n", cfg.prefix, cfg.controller_id);
    for (int g = 0; g < cfg.ngroups; g++)
        printf("group %s\n", cfg.groups[g]);
    for (size_t r = 0; r < cfg.nrooms; r++)
        printf("room %s\n", cfg.rooms[r].id);
    for (size_t r = 0; r < cfg.nrooms; r++) {
        for (int i = 0; i < cfg.rooms[r].nlights; i++)
            print_light_topic(&cfg.rooms[r].lights[i]);
        if (cfg.rooms[r].has_dome)
            print_light_topic(&cfg.rooms[r].dome);
    }
    print_bridges(&cfg);
    roomcfg_free(&cfg);
    return 0;
}
