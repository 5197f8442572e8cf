/*
 * watch.c - see watch.h.  Three states: a board is armed somewhere (OK), none
 * is and the grace is running since since_ms (WAITING), or the grace ran out
 * and the group was paged (PAGED) until a board is armed again.
 */
#include "watch.h"
#include "clock.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

enum watch_state { WATCH_OK, WATCH_WAITING, WATCH_PAGED };

struct station {
    char login[HV_LOGIN_MAX];
    int boards, armed;
};

struct watch {
    struct stations_config cfg;
    const struct watch_ops *ops;
    void *ctx;
    enum watch_state state;
    int64_t since_ms;            /* WAITING, PAGED: when the outage began */
    struct station st[WATCH_STATIONS_MAX];  /* online stations (login "" = free slot) */
    bool heard;                  /* a station status arrived (or the link came up) */
    struct log_ratelimit full_rl;
};

static int armed_count(const watch *w)
{
    int n = 0;

    for (int i = 0; i < WATCH_STATIONS_MAX; i++)
        n += w->st[i].login[0] && w->st[i].armed > 0;
    return n;
}

static void save(watch *w, int64_t paged_since_ms)
{
    if (w->ops->save)
        w->ops->save(w->ctx, paged_since_ms);
}

/* The outage, if any, ends: a board is armed at login. */
static void outage_ends(watch *w, const char *login, int64_t now)
{
    if (w->state == WATCH_PAGED) {
        log_info("stations: a board has sound on again at %s: the no-board outage that began "
                 "%lld s ago has ended (%s was paged)", login,
                 (long long)((now - w->since_ms) / 1000), w->cfg.group);
        save(w, 0);
    } else if (w->state == WATCH_WAITING) {
        log_info("stations: a board has sound on at %s", login);
    }
    w->state = WATCH_OK;
}

/* No board is armed anywhere any more (it was, a moment ago). */
static void outage_begins(watch *w, const char *login, int64_t now)
{
    w->state = WATCH_WAITING;
    w->since_ms = now;
    log_warn("stations: no nurse-station board has sound on (last: %s); paging %s in %lld s "
             "unless one is armed", login, w->cfg.group, (long long)(w->cfg.grace_ms / 1000));
}

watch *watch_new(const struct room_config *cfg, const struct watch_ops *ops, void *ctx,
                 int64_t paged_since_ms, int64_t now)
{
    watch *w = calloc(1, sizeof *w);

    if (!w)
        return NULL;
    w->cfg = cfg->stations;
    w->ops = ops;
    w->ctx = ctx;
    w->full_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(1, 60000);
    w->state = paged_since_ms > 0 ? WATCH_PAGED : WATCH_WAITING;
    w->since_ms = paged_since_ms > 0 ? paged_since_ms : now;
    if (w->cfg.watch && paged_since_ms > 0)
        log_info("stations: the no-board outage paged before the restart (since %lld) "
                 "lasts until a board has sound on; not paged again",
                 (long long)paged_since_ms);
    return w;
}

void watch_free(watch *w)
{
    free(w);
}

void watch_set_config(watch *w, const struct room_config *cfg, int64_t now)
{
    bool was_on = w->cfg.watch;

    w->cfg = cfg->stations;
    if (!w->cfg.watch) {
        memset(w->st, 0, sizeof w->st);
        if (w->state == WATCH_PAGED)
            save(w, 0);
        w->state = WATCH_WAITING;
        w->since_ms = now;
    } else if (!was_on) {   /* just turned on: the grace starts now */
        w->state = armed_count(w) ? WATCH_OK : WATCH_WAITING;
        w->since_ms = now;
    }
}

/* The slot of login, or a free one (*found false), or NULL when full. */
static struct station *slot(watch *w, const char *login, bool *found)
{
    struct station *free_slot = NULL;

    *found = false;
    for (int i = 0; i < WATCH_STATIONS_MAX; i++) {
        if (strcmp(w->st[i].login, login) == 0) {
            *found = true;
            return &w->st[i];
        }
        if (!w->st[i].login[0] && !free_slot)
            free_slot = &w->st[i];
    }
    return free_slot;
}

void watch_station(watch *w, const char *login, const struct msg_station_status *m,
                   int64_t now)
{
    bool found, online = m && m->online;
    struct station *s;
    int before;

    if (!w->cfg.watch || !login[0])
        return;
    w->heard = true;
    before = armed_count(w);
    s = slot(w, login, &found);
    if (!s) {
        log_limited(&w->full_rl, LOG_WARN, "stations: more than %d stations online; "
                    "ignoring %s", WATCH_STATIONS_MAX, login);
        return;
    }
    if (!online) {
        memset(s, 0, sizeof *s);   /* offline (or gone): forgotten */
    } else {
        snprintf(s->login, sizeof s->login, "%s", login);
        s->boards = m->boards;
        s->armed = m->armed;
    }
    if (armed_count(w) > 0 && w->state != WATCH_OK)
        outage_ends(w, login, now);
    else if (armed_count(w) == 0 && before > 0 && w->state == WATCH_OK)
        outage_begins(w, login, now);
}

void watch_link_up(watch *w, int64_t now)
{
    if (w->heard)
        return;
    w->heard = true;
    if (w->state == WATCH_WAITING)
        w->since_ms = now;
}

void watch_tick(watch *w, int64_t now)
{
    if (!w->cfg.watch || w->state != WATCH_WAITING || now - w->since_ms < w->cfg.grace_ms)
        return;
    w->state = WATCH_PAGED;
    log_warn("stations: no nurse-station board has had sound on for %lld s: paging %s "
             "(noboard-%lld)", (long long)((now - w->since_ms) / 1000), w->cfg.group,
             (long long)w->since_ms);
    w->ops->page(w->ctx, w->cfg.group, w->since_ms);
    save(w, w->since_ms);
}

int64_t watch_next_due(const watch *w)
{
    if (!w->cfg.watch || w->state != WATCH_WAITING)
        return INT64_MAX;
    return w->since_ms + w->cfg.grace_ms;
}

int watch_armed_stations(const watch *w)
{
    return armed_count(w);
}

bool watch_outage_paged(const watch *w)
{
    return w->state == WATCH_PAGED;
}
