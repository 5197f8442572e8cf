/* calls.c - the paging state machine (see calls.h for the rules). */
#include "calls.h"
#include "ids.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ALIASES 8          /* other ids of a call kept in memory */
#define MAX_LOGGED_ALIASES 64  /* ... and in the call log: a flood of ids cannot fill the disk */
#define MAX_LOGGED_CONCERNS 64 /* concerns in the call log (HV_CONCERNS_MAX in the call itself) */

struct call {
    struct logged_call lc;
    char aliases[MAX_ALIASES][HV_ID_MAX];
    int naliases;
    int nlogged;              /* aliases in the call log (at most MAX_LOGGED_ALIASES) */
    int nlogged_concerns;     /* concerns in the call log (at most MAX_LOGGED_CONCERNS) */
    int64_t next_ms;          /* next escalation, repeat or reminder (wall clock) */
    int64_t alerted_ms;       /* last page caused by the patient (raise, re-alert) */
};

/* What the controller knows of one room: its call and its kiosk. */
struct room_state {
    char id[HV_ROOM_MAX];
    struct call *call;
    int online;               /* 1, 0, or -1 unknown */
    int phase;                /* enum phase, or -1 unknown */
    bool loaded;              /* online/phase read from the call log */
    int logged_online;        /* what the call log holds (writes only on a real change) */
    int64_t offline_due_ms;   /* offline during a visit: the kiosk_offline call opens then (0: none) */
    int64_t settle_due_ms;    /* back online: its kiosk_offline call clears then (0: none) */
    int64_t heard_ms;         /* the kiosk's status last arrived (or our link last came up) */
    int beat_ms;              /* its status's "beat" (0: none, the will alone tells) */
    double tokens;            /* input rate limit: a token bucket of room_input_rate/s */
    int64_t tokens_ms;        /* when tokens was last refilled (-1: never) */
};

struct calls {
    const struct room_config *cfg;
    calllog *log;
    const struct calls_ops *ops;
    void *ctx;
    struct room_state *rooms; /* sorted by id */
    size_t nrooms, cap;
    size_t nopen;
    struct calls_stats stats;
    int64_t link_rx_ms;       /* our session last heard the broker (wall clock; 0: unknown) */
};

/* Merges and suppressed re-alerts under a flood: a few lines a second, the rest counted. */
static struct log_ratelimit merge_rl = LOG_RATELIMIT_INIT(10, 1000);

/* ---- rooms ------------------------------------------------------------------ */

static int room_state_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct room_state *)elem)->id);
}

static struct room_state *room_find(const calls *cs, const char *id)
{
    if (!cs->rooms)  /* no room seen yet: bsearch must not be given NULL */
        return NULL;
    return bsearch(id, cs->rooms, cs->nrooms, sizeof *cs->rooms, room_state_cmp);
}

/* The room's state, created in sorted position if new.  NULL when out of memory. */
static struct room_state *room_get(calls *cs, const char *id)
{
    struct room_state *rs = room_find(cs, id);
    size_t at = 0;

    if (rs)
        return rs;
    if (cs->nrooms == cs->cap) {
        size_t cap = cs->cap ? cs->cap * 2 : 64;
        struct room_state *grown = realloc(cs->rooms, cap * sizeof *grown);
        if (!grown)
            return NULL;
        cs->rooms = grown;
        cs->cap = cap;
    }
    while (at < cs->nrooms && strcmp(cs->rooms[at].id, id) < 0)
        at++;
    memmove(&cs->rooms[at + 1], &cs->rooms[at], (cs->nrooms - at) * sizeof *cs->rooms);
    rs = &cs->rooms[at];
    memset(rs, 0, sizeof *rs);
    snprintf(rs->id, sizeof rs->id, "%s", id);
    rs->online = rs->phase = rs->logged_online = -1;
    rs->tokens_ms = -1;
    cs->nrooms++;
    return rs;
}

/* ---- timing ------------------------------------------------------------------ */

static const struct prio_policy *policy_of(const calls *cs, const struct call *c)
{
    return &cs->cfg->policy[c->lc.w.priority];
}

/* When the call next needs a page: the next chain step, a repeat, or a reminder. */
static int64_t plan_next(const calls *cs, const struct call *c)
{
    const struct prio_policy *pol = policy_of(cs, c);

    if (c->lc.w.state == CALL_ACKNOWLEDGED)
        return c->lc.timer_ms + pol->ack_timeout_ms;
    if (c->lc.step + 1 < pol->nsteps)
        return c->lc.base_ms + pol->steps[c->lc.step + 1].after_ms;
    return c->lc.timer_ms + pol->repeat_ms;
}

static bool call_matches(const struct call *c, const char *id)
{
    if (strcmp(c->lc.w.id, id) == 0)
        return true;
    for (int i = 0; i < c->naliases; i++)
        if (strcmp(c->aliases[i], id) == 0)
            return true;
    return false;
}

/* ---- actions ------------------------------------------------------------------- */

/*
 * Transactions: every action below opens its transaction, writes, commits and
 * only then publishes the room's call and pages, all in one function (calls.h:
 * written before it is announced).  A commit that fails is logged and the
 * nurses are told all the same: a call the disk could not keep must still be
 * heard; only its restart memory is lost.
 */

/* Commits the transaction the caller opened for c. True if it is on disk. */
static bool commit(calls *cs, const struct call *c)
{
    if (calllog_commit(cs->log) == 0)
        return true;
    log_error("%s: call %s: the call log did not take this change (see above): announced "
              "all the same, but a restart will not know it", c->lc.w.room, c->lc.w.id);
    return false;
}

/*
 * Writes, in the open transaction, a page event of the given kind to group, which
 * becomes the call's group.  Returns the event's seq (0 when it was not written).
 */
static int64_t log_page(calls *cs, struct call *c, const char *group, const char *kind,
                        int64_t now)
{
    int64_t seq;

    if (group != c->lc.group)  /* re-pages pass the call's own group */
        snprintf(c->lc.group, sizeof c->lc.group, "%s", group);
    seq = calllog_event(cs->log, c->lc.w.id, now, kind, group, NULL, c->lc.w.escalation);
    return seq > 0 ? seq : 0;
}

/* Pages the call's group; seq is its page event (0: none to mark delivered). */
static void send_page(calls *cs, struct call *c, int64_t seq)
{
    cs->ops->page(cs->ctx, c->lc.group, &c->lc.w, seq);
}

static void save(calls *cs, struct call *c)
{
    calllog_update(cs->log, &c->lc);
    c->next_ms = plan_next(cs, c);
}

/*
 * The priority of call m: its reason's from the config, or the priority the
 * kiosk asked for (a questionnaire rule's, e.g. routine for "no escort"),
 * except that a safety call never goes below its reason's priority.
 */
static enum priority priority_of_msg(const calls *cs, const struct msg_call *m)
{
    enum priority p = cs->cfg->reason_priority[m->reason];

    if (!m->has_priority || (unsigned)m->priority >= PRIO_COUNT ||
        (m->reason == REASON_SAFETY && m->priority < p))
        return p;
    return m->priority;
}

/* ---- concerns (issue 14) ------------------------------------------------------------ */

/* True if c already carries this concern: the same reason and detail (an answer given again). */
static bool has_concern(const struct call *c, enum call_reason reason, const char *detail)
{
    const struct contract_call *w = &c->lc.w;

    for (int i = 0; i < w->nconcerns; i++)
        if (w->concerns[i].reason == reason && strcmp(w->concerns[i].detail, detail) == 0)
            return true;
    return false;
}

/*
 * Adds a concern to c, in the caller's transaction: listed in the call while
 * there is room (HV_CONCERNS_MAX), counted in concerns_more after that, and
 * in the call log up to MAX_LOGGED_CONCERNS.  True when it was listed.
 */
static bool add_concern(calls *cs, struct call *c, enum call_reason reason, enum priority p,
                        const char *detail, int64_t now)
{
    struct contract_call *w = &c->lc.w;
    struct contract_concern k = { .reason = reason, .priority = p, .raised_ms = now };
    bool listed = w->nconcerns < HV_CONCERNS_MAX;

    snprintf(k.detail, sizeof k.detail, "%s", detail ? detail : "");
    if (listed)
        w->concerns[w->nconcerns++] = k;
    else
        w->concerns_more++;
    if (c->nlogged_concerns < MAX_LOGGED_CONCERNS &&
        calllog_add_concern(cs->log, w->id, &k) == 0)
        c->nlogged_concerns++;
    return listed;
}

static void open_call(calls *cs, struct room_state *rs, const char *id,
                      enum call_reason reason, enum priority prio, const char *detail,
                      int64_t now)
{
    const struct room_def *def = roomcfg_room(cs->cfg, rs->id);
    struct call *c = calloc(1, sizeof *c);
    struct contract_call *w;

    if (!c) {
        log_error("%s: out of memory: call %s cannot be tracked", rs->id, id);
        return;
    }
    w = &c->lc.w;
    snprintf(w->id, sizeof w->id, "%s", id);
    snprintf(w->room, sizeof w->room, "%s", rs->id);
    snprintf(w->label, sizeof w->label, "%s", def ? def->label : rs->id);
    snprintf(w->detail, sizeof w->detail, "%s", detail ? detail : "");
    w->reason = reason;
    w->priority = prio;
    w->state = CALL_OPEN;
    w->raised_ms = now;
    c->lc.base_ms = c->lc.timer_ms = c->alerted_ms = now;
    rs->call = c;
    cs->nopen++;

    const char *group = policy_of(cs, c)->steps[0].group;
    int64_t seq;

    snprintf(c->lc.group, sizeof c->lc.group, "%s", group);
    calllog_begin(cs->log);
    calllog_insert(cs->log, &c->lc);
    add_concern(cs, c, reason, prio, w->detail, now);
    seq = log_page(cs, c, group, "page", now);
    if (!commit(cs, c))
        seq = 0;
    c->next_ms = plan_next(cs, c);
    /* The room's call first, then the page: a nurse who is paged and looks at a board
     * finds the call there (found slow under valgrind, where the gap is milliseconds). */
    cs->ops->publish_call(cs->ctx, rs->id, w);
    send_page(cs, c, seq);
    log_info("%s: call %s opened (%s, %s), paged %s", rs->id, id, reason_name(reason),
             priority_name(w->priority), group);
}

/* After the clear is committed: the room's call goes empty and is forgotten. */
static void forget_call(calls *cs, struct room_state *rs, const char *by, const char *source)
{
    struct call *c = rs->call;

    /* The kiosk learns it from its room's retained call going empty: only the controller
     * may write P/call/R, so nobody else can make the bedside screen say it (protocol.md). */
    cs->ops->publish_call(cs->ctx, rs->id, NULL);
    log_info("%s: call %s cleared (%s%s%s)", rs->id, c->lc.w.id, source,
             by && by[0] ? " by " : "", by && by[0] ? by : "");
    free(c);
    rs->call = NULL;
    cs->nopen--;
}

/* Clears the room's call: by whom, through which login (via, may be NULL), from where. */
static void close_call(calls *cs, struct room_state *rs, const char *by, const char *via,
                       const char *source, int64_t now)
{
    calllog_begin(cs->log);
    calllog_clear(cs->log, rs->call->lc.w.id, now, by, via, source);
    commit(cs, rs->call);
    forget_call(cs, rs, by, source);
}

/*
 * The patient asked again for the same call (or the kiosk re-sent it): page
 * the group paged last, now, unless the patient did so less than realert_min
 * ago; then it is counted and logged (rate-limited), and nothing is written.
 */
static void realert(calls *cs, struct call *c, int64_t now)
{
    if (now - c->alerted_ms < cs->cfg->realert_min_ms) {
        cs->stats.realerts_suppressed++;
        log_limited(&merge_rl, LOG_INFO, "%s: call %s sent again within %lld s of its last "
                    "page: not paged again (%llu so far)", c->lc.w.room, c->lc.w.id,
                    (long long)(cs->cfg->realert_min_ms / 1000),
                    (unsigned long long)cs->stats.realerts_suppressed);
        return;
    }
    c->alerted_ms = now;
    calllog_begin(cs->log);
    int64_t seq = log_page(cs, c, c->lc.group, "realert", now);
    send_page(cs, c, commit(cs, c) ? seq : 0);
    log_info("%s: call %s re-alerted, paged %s again", c->lc.w.room, c->lc.w.id, c->lc.group);
}

/* Remembers id as another name of c: in memory and in the log, each up to its cap. */
static void add_alias(calls *cs, struct call *c, const char *id)
{
    if (c->naliases < MAX_ALIASES)
        snprintf(c->aliases[c->naliases++], HV_ID_MAX, "%s", id);
    if (c->nlogged < MAX_LOGGED_ALIASES && calllog_add_alias(cs->log, id, c->lc.w.id) == 0)
        c->nlogged++;
}

/*
 * A second call id for a room whose call is open, and the concern it raises
 * is one the call already carries (or the call's list is full and it is no
 * more urgent): an alias, counted and logged rate-limited, never paged.  A
 * flood of ids is this.
 */
static void join_quietly(calls *cs, struct call *c, const struct msg_call *m, bool fresh,
                         int64_t now)
{
    struct logged_call *lc = &c->lc;

    cs->stats.merged++;
    if (fresh) {  /* new, but past the list: counted in the call and logged */
        calllog_begin(cs->log);
        add_concern(cs, c, m->reason, priority_of_msg(cs, m), m->detail, now);
        commit(cs, c);
    }
    log_limited(&merge_rl, LOG_INFO, "%s: call %s joins open call %s (%s%s): not paged "
                "(%llu merged so far)", lc->w.room, m->id, lc->w.id, reason_name(m->reason),
                fresh ? ", a concern past the list" : ", a concern it has",
                (unsigned long long)cs->stats.merged);
}

/*
 * A new concern no more urgent than the call (issue 14): listed, and the group
 * paged last is paged now with the call's concerns, so the nurse hears of it.
 * The priority never drops and the escalation goes on as it was; an equal
 * concern becomes the call's headline (reason, detail), a lower one does not.
 */
static void add_lesser_concern(calls *cs, struct call *c, const struct msg_call *m,
                               enum priority p, int64_t now)
{
    struct logged_call *lc = &c->lc;

    log_info("%s: call %s: new concern by %s (%s, %s%s%s): paging %s", lc->w.room, lc->w.id,
             m->id, reason_name(m->reason), priority_name(p), m->detail[0] ? ": " : "",
             m->detail, lc->group);
    if (p == lc->w.priority) {
        lc->w.reason = m->reason;
        snprintf(lc->w.detail, sizeof lc->w.detail, "%s", m->detail);
    }
    c->alerted_ms = now;
    calllog_begin(cs->log);
    add_concern(cs, c, m->reason, p, m->detail, now);
    save(cs, c);
    int64_t seq = log_page(cs, c, lc->group, "concern", now);
    bool kept = commit(cs, c);
    cs->ops->publish_call(cs->ctx, lc->w.room, &lc->w);
    send_page(cs, c, kept ? seq : 0);
}

/*
 * More urgent than what the nurses were told: the call takes the concern's
 * priority, reason and detail, a new chain is paged now, and an earlier
 * acknowledgement no longer covers it.
 */
static void upgrade(calls *cs, struct call *c, const struct msg_call *m, enum priority p,
                    int64_t now)
{
    struct logged_call *lc = &c->lc;

    log_warn("%s: call %s upgraded %s -> %s by %s (%s%s%s)", lc->w.room, lc->w.id,
             priority_name(lc->w.priority), priority_name(p), m->id, reason_name(m->reason),
             m->detail[0] ? ": " : "", m->detail);
    lc->w.priority = p;
    lc->w.reason = m->reason;
    snprintf(lc->w.detail, sizeof lc->w.detail, "%s", m->detail);
    lc->w.state = CALL_OPEN;
    lc->w.acknowledged_ms = 0;
    lc->w.by[0] = '\0';
    lc->w.via[0] = '\0';
    lc->step = 0;
    lc->base_ms = lc->timer_ms = c->alerted_ms = now;
    /* Set before save(), so the log knows whom a re-alert or reminder goes to. */
    snprintf(lc->group, sizeof lc->group, "%s", policy_of(cs, c)->steps[0].group);
    calllog_begin(cs->log);
    if (!has_concern(c, m->reason, m->detail))
        add_concern(cs, c, m->reason, p, m->detail, now);
    save(cs, c);
    int64_t seq = log_page(cs, c, lc->group, "upgraded", now);
    send_page(cs, c, commit(cs, c) ? seq : 0);
    cs->ops->publish_call(cs->ctx, lc->w.room, &lc->w);
}

/*
 * A second call id for a room whose call is open: it joins the call as an
 * alias.  A more urgent concern upgrades the call; a new one no more urgent
 * is listed and paged; one the call already carries pages no one.
 */
static void merge(calls *cs, struct call *c, const struct msg_call *m, int64_t now)
{
    enum priority p = priority_of_msg(cs, m);
    bool fresh = !has_concern(c, m->reason, m->detail);

    add_alias(cs, c, m->id);
    if (p > c->lc.w.priority)
        upgrade(cs, c, m, p, now);
    else if (fresh && c->lc.w.nconcerns < HV_CONCERNS_MAX)
        add_lesser_concern(cs, c, m, p, now);
    else
        join_quietly(cs, c, m, fresh, now);
}

void calls_raise(calls *cs, const char *room, const struct msg_call *m, int64_t now)
{
    struct room_state *rs = room_get(cs, room);
    char primary[HV_ID_MAX];

    if (!rs) {
        log_error("%s: out of memory: call %s cannot be tracked", room, m->id);
        return;
    }
    rs->offline_due_ms = 0;  /* a kiosk that sends a call is evidently online */
    if (rs->call && call_matches(rs->call, m->id)) {
        realert(cs, rs->call, now);
        return;
    }
    /* Known to the log but not the open call (nor an alias of it): a call that was
     * cleared, delivered again.  Checked before merging, so that a late duplicate
     * cannot join (and re-page) a newer call in the same room. */
    if (calllog_known(cs->log, m->id, primary) == 1) {
        if (rs->call && strcmp(primary, rs->call->lc.w.id) == 0) {
            realert(cs, rs->call, now);  /* an alias the in-memory list had no room for */
            return;
        }
        log_info("%s: call %s was already cleared: late duplicate dropped", room, m->id);
        return;
    }
    if (rs->call && rs->call->lc.w.reason != REASON_KIOSK_OFFLINE) {
        merge(cs, rs->call, m, now);
        return;
    }
    /* A kiosk that sends a call is evidently back: its offline call gives way. */
    if (rs->call)
        close_call(cs, rs, NULL, NULL, "kiosk_call", now);
    open_call(cs, rs, m->id, m->reason, priority_of_msg(cs, m), m->detail, now);
}

void calls_acknowledge(calls *cs, const char *room, const struct msg_ack *m, int64_t now)
{
    struct room_state *rs = room_find(cs, room);
    struct call *c = rs ? rs->call : NULL;

    if (!c || !call_matches(c, m->id)) {
        log_warn("%s: acknowledgement for %s, which is not the room's open call: ignored",
                 room, m->id);
        return;
    }
    if (c->lc.w.state == CALL_ACKNOWLEDGED && strcmp(c->lc.w.by, m->by) == 0 &&
        strcmp(c->lc.w.via, m->via) == 0)
        return;  /* the same acknowledgement delivered twice */
    if (c->lc.w.state == CALL_OPEN)
        c->lc.w.acknowledged_ms = now;
    c->lc.w.state = CALL_ACKNOWLEDGED;
    snprintf(c->lc.w.by, sizeof c->lc.w.by, "%s", m->by);
    snprintf(c->lc.w.via, sizeof c->lc.w.via, "%s", m->via);
    c->lc.timer_ms = now;
    calllog_begin(cs->log);
    save(cs, c);
    calllog_event(cs->log, c->lc.w.id, now, "acknowledged", NULL, m->by, c->lc.w.escalation);
    commit(cs, c);
    cs->ops->publish_call(cs->ctx, room, &c->lc.w);
    log_info("%s: call %s acknowledged by %s%s%s", room, c->lc.w.id,
             m->by[0] ? m->by : "(unnamed)", m->via[0] ? " via " : "", m->via);
}

void calls_clear(calls *cs, const char *room, const struct msg_ack *m, bool bedside,
                 int64_t now)
{
    struct room_state *rs = room_find(cs, room);
    struct call *c = rs ? rs->call : NULL;

    if (!c || !call_matches(c, m->id)) {
        log_info("%s: clear for %s, which is not the room's open call: ignored", room, m->id);
        return;
    }
    if (!bedside && c->lc.w.priority == PRIO_URGENT) {
        log_warn("%s: urgent call %s clears only at the bedside: remote clear by %s%s%s refused",
                 room, c->lc.w.id, m->by[0] ? m->by : "(unnamed)", m->via[0] ? " via " : "", m->via);
        return;
    }
    close_call(cs, rs, m->by, m->via, bedside ? "bedside" : "nurse", now);
}

/* ---- kiosk supervision ---------------------------------------------------------- */

/* Writes what the log should know of the room's kiosk, only when it changed. */
static void log_room(calls *cs, struct room_state *rs, int phase_changed, int64_t now)
{
    int online = rs->online < 0 ? rs->logged_online : rs->online;

    if (online == rs->logged_online && !phase_changed)
        return;
    calllog_set_room(cs->log, rs->id, online, phase_changed ? rs->phase : -1, now);
    rs->logged_online = online;
}

/* The kiosk has been offline for offline_grace_ms during a visit: open its call. */
static void open_offline_call(calls *cs, struct room_state *rs, int64_t now)
{
    char id[HV_ID_MAX], detail[HV_DETAIL_MAX];

    rs->offline_due_ms = 0;
    log_room(cs, rs, 0, now);
    if (rs->call) {
        log_warn("%s: kiosk offline during %s; call %s is already open", rs->id,
                 phase_name(rs->phase), rs->call->lc.w.id);
        return;
    }
    if (ids_new("offline", id, sizeof id) != 0)  /* no entropy: still unique per room */
        snprintf(id, sizeof id, "offline-%s-%lld", rs->id, (long long)now);
    snprintf(detail, sizeof detail, "kiosk offline during %s", phase_name(rs->phase));
    log_warn("%s: kiosk went offline during %s", rs->id, phase_name(rs->phase));
    open_call(cs, rs, id, REASON_KIOSK_OFFLINE, cs->cfg->reason_priority[REASON_KIOSK_OFFLINE],
              detail, now);
}

static bool has_offline_call(const struct room_state *rs)
{
    return rs->call && rs->call->lc.w.reason == REASON_KIOSK_OFFLINE;
}

/* The kiosk has stayed online for online_settle: its outage is over. */
static void settle_online(calls *cs, struct room_state *rs, int64_t now)
{
    rs->settle_due_ms = 0;
    if (has_offline_call(rs))
        close_call(cs, rs, NULL, NULL, "kiosk_online", now);
}

static void kiosk_online(calls *cs, struct room_state *rs, int64_t now)
{
    if (rs->offline_due_ms)  /* back within the grace (a stale will): nothing happened */
        log_limited(&merge_rl, LOG_INFO, "%s: kiosk back within %d ms of going offline: "
                    "no call", rs->id, cs->cfg->offline_grace_ms);
    rs->offline_due_ms = 0;
    if (has_offline_call(rs) && !rs->settle_due_ms) {
        rs->settle_due_ms = now + cs->cfg->online_settle_ms;
        if (cs->cfg->online_settle_ms <= 0)
            settle_online(cs, rs, now);
    }
}

static void kiosk_offline(calls *cs, struct room_state *rs, int was_online, int64_t now)
{
    if (rs->settle_due_ms)  /* offline again before it settled: the same outage */
        log_limited(&merge_rl, LOG_WARN, "%s: kiosk offline again before settling: the "
                    "same outage, call %s stays", rs->id, rs->call ? rs->call->lc.w.id : "-");
    rs->settle_due_ms = 0;
    if (was_online == 0 || rs->phase <= PHASE_IDLE || has_offline_call(rs) || rs->offline_due_ms)
        return;
    /* Online (or unknown) to offline, during a visit: the patient may have lost their
     * help button.  Once per offline spell, however often the retained status is
     * delivered again, and only if it lasts the grace. */
    rs->offline_due_ms = now + cs->cfg->offline_grace_ms;
    if (cs->cfg->offline_grace_ms <= 0)
        open_offline_call(cs, rs, now);
}

void calls_kiosk_status(calls *cs, const char *room, const struct msg_status *st, int64_t now)
{
    struct room_state *rs = room_get(cs, room);
    int was_online, phase_changed = 0;

    if (!rs)
        return;
    if (!rs->loaded) {
        calllog_get_room(cs->log, room, &rs->online, &rs->phase);
        rs->logged_online = rs->online;
        rs->loaded = true;
    }
    was_online = rs->online;
    if (st->has_phase && rs->phase != (int)st->phase) {
        rs->phase = (int)st->phase;
        phase_changed = 1;
    }
    rs->online = st->online;
    rs->heard_ms = now;
    rs->beat_ms = st->online ? st->beat_ms : 0;
    if (st->online)
        kiosk_online(cs, rs, now);
    else
        kiosk_offline(cs, rs, was_online, now);
    /* An offline still in its grace is not written: a restart meanwhile sees the
     * will again and starts the grace over. */
    if (!rs->offline_due_ms && !rs->settle_due_ms)
        log_room(cs, rs, phase_changed, now);
    else if (phase_changed)
        calllog_set_room(cs->log, room, rs->logged_online, rs->phase, now);
}

/*
 * Heartbeat silence.  A kiosk that announced a beat and then sent nothing for 2.5
 * beats has lost its link; Mosquitto would publish its will only at its next
 * keepalive check (every ~6 s), too late for the 1.5 x keepalive + 1 s bound.
 * The silence counts only while the broker is demonstrably alive for us: our
 * session heard it half a beat after the kiosk's next beat was due.  A frozen
 * broker stops both, and then no room is judged (a page for every chair).
 */

/* When the kiosk's silence is due to be judged, or 0 when it is not watched. */
static int64_t silence_due(const struct room_state *rs)
{
    if (rs->online != 1 || rs->beat_ms <= 0)
        return 0;
    return rs->heard_ms + (int64_t)rs->beat_ms * 5 / 2;
}

/* True when the broker has been heard since well after the kiosk's next beat was due. */
static bool broker_vouches(const calls *cs, const struct room_state *rs)
{
    return cs->link_rx_ms > rs->heard_ms + (int64_t)rs->beat_ms * 3 / 2;
}

/* 2.5 beats of silence from a kiosk while the broker answers us: taken as its will. */
static void kiosk_silent(calls *cs, struct room_state *rs, int64_t now)
{
    static const struct msg_status will = { .online = false };

    log_warn("%s: nothing from the kiosk for %lld ms (beat %d ms): taken as offline", rs->id,
             (long long)(now - rs->heard_ms), rs->beat_ms);
    calls_kiosk_status(cs, rs->id, &will, now);
}

void calls_link_heard(calls *cs, int64_t rx_ms)
{
    cs->link_rx_ms = rx_ms;
}

void calls_link_up(calls *cs, int64_t now)
{
    for (size_t i = 0; i < cs->nrooms; i++)
        cs->rooms[i].heard_ms = now;
}

/* Per-room input budget: room_input_rate messages a second, bursts of twice that. */
bool calls_admit(calls *cs, const char *room, int64_t now)
{
    struct room_state *rs = room_get(cs, room);
    double rate = cs->cfg->room_input_rate > 0 ? cs->cfg->room_input_rate : 20;

    if (!rs)
        return false;
    if (rs->tokens_ms < 0 || now < rs->tokens_ms) {
        rs->tokens = 2 * rate;
    } else {
        rs->tokens += (double)(now - rs->tokens_ms) * rate / 1000.0;
        if (rs->tokens > 2 * rate)
            rs->tokens = 2 * rate;
    }
    rs->tokens_ms = now;
    if (rs->tokens < 1) {
        cs->stats.dropped++;
        return false;
    }
    rs->tokens -= 1;
    return true;
}

const struct calls_stats *calls_stats(const calls *cs)
{
    return &cs->stats;
}

/* ---- timers ------------------------------------------------------------------------ */

/* One due action for c: the next chain step, a repeat past the chain, or a reminder. */
static void fire(calls *cs, struct call *c, int64_t now)
{
    const struct prio_policy *pol = policy_of(cs, c);
    struct logged_call *lc = &c->lc;
    const char *kind;

    if (lc->w.state == CALL_ACKNOWLEDGED) {
        kind = "reminder";
        log_warn("%s: call %s acknowledged by %s but not cleared: paging %s again",
                 lc->w.room, lc->w.id, lc->w.by[0] ? lc->w.by : "(unnamed)", lc->group);
    } else {
        lc->w.escalation++;
        if (lc->step + 1 < pol->nsteps) {
            lc->step++;
            snprintf(lc->group, sizeof lc->group, "%s", pol->steps[lc->step].group);
            kind = "escalated";
        } else {
            kind = "repeat";
            snprintf(lc->group, sizeof lc->group, "%s", pol->steps[pol->nsteps - 1].group);
        }
        log_warn("%s: call %s not acknowledged: escalation %d, paging %s", lc->w.room,
                 lc->w.id, lc->w.escalation, lc->group);
    }
    lc->timer_ms = now;
    calllog_begin(cs->log);
    save(cs, c);
    int64_t seq = log_page(cs, c, lc->group, kind, now);
    send_page(cs, c, commit(cs, c) ? seq : 0);
    cs->ops->publish_call(cs->ctx, lc->w.room, &lc->w);
}

void calls_tick(calls *cs, int64_t now)
{
    for (size_t i = 0; i < cs->nrooms; i++) {
        struct room_state *rs = &cs->rooms[i];
        int64_t silent = silence_due(rs);
        if (silent && silent <= now && broker_vouches(cs, rs))
            kiosk_silent(cs, rs, now);
        if (rs->offline_due_ms && rs->offline_due_ms <= now)
            open_offline_call(cs, rs, now);
        if (rs->settle_due_ms && rs->settle_due_ms <= now)
            settle_online(cs, rs, now);
        struct call *c = rs->call;
        /* Several steps may be due at once (after a restart): each one pages, in order. */
        for (int guard = 0; c && c->next_ms <= now && guard <= ROOMCFG_MAX_STEPS; guard++)
            fire(cs, c, now);
    }
}

int64_t calls_next_due(const calls *cs)
{
    int64_t next = INT64_MAX;

    for (size_t i = 0; i < cs->nrooms; i++) {
        const struct room_state *rs = &cs->rooms[i];
        int64_t silent = silence_due(rs);
        if (rs->call && rs->call->next_ms < next)
            next = rs->call->next_ms;
        /* Only once the broker vouches: until then each message (or the caller's own
         * wake-up) is the moment to look again, and a due time past would spin. */
        if (silent && broker_vouches(cs, rs) && silent < next)
            next = silent;
        if (rs->offline_due_ms && rs->offline_due_ms < next)
            next = rs->offline_due_ms;
        if (rs->settle_due_ms && rs->settle_due_ms < next)
            next = rs->settle_due_ms;
    }
    return next;
}

/* ---- lifecycle ------------------------------------------------------------------------ */

calls *calls_new(const struct room_config *cfg, calllog *log, const struct calls_ops *ops,
                 void *ctx)
{
    calls *cs = calloc(1, sizeof *cs);

    if (!cs)
        return NULL;
    cs->cfg = cfg;
    cs->log = log;
    cs->ops = ops;
    cs->ctx = ctx;
    return cs;
}

void calls_free(calls *cs)
{
    if (!cs)
        return;
    for (size_t i = 0; i < cs->nrooms; i++)
        free(cs->rooms[i].call);
    free(cs->rooms);
    free(cs);
}

/*
 * The room of this call is gone from the configuration: nobody could clear
 * the call at the bedside, and it would escalate for ever.  The group paged
 * last is told why, then the call is closed.
 */
static void close_removed(calls *cs, struct room_state *rs, int64_t now)
{
    struct call *c = rs->call;

    log_warn("%s: room removed from the configuration: closing its call %s (%s, paged %s)",
             rs->id, c->lc.w.id, call_state_name(c->lc.w.state), c->lc.group);
    snprintf(c->lc.w.detail, sizeof c->lc.w.detail, "%s", REMOVED_DETAIL);
    calllog_begin(cs->log);
    calllog_update(cs->log, &c->lc);
    int64_t seq = log_page(cs, c, c->lc.group, "closed", now);
    send_page(cs, c, commit(cs, c) ? seq : 0);
    close_call(cs, rs, NULL, NULL, "room_removed", now);
}

void calls_set_config(calls *cs, const struct room_config *cfg, int64_t now)
{
    cs->cfg = cfg;
    for (size_t i = 0; i < cs->nrooms; i++) {
        struct call *c = cs->rooms[i].call;
        if (!c)
            continue;
        if (c->lc.step >= policy_of(cs, c)->nsteps)
            c->lc.step = policy_of(cs, c)->nsteps - 1;
        c->next_ms = plan_next(cs, c);
        if (!roomcfg_room(cfg, c->lc.w.room))
            close_removed(cs, &cs->rooms[i], now);
    }
}

struct restore_ctx {
    calls *cs;
    struct call *c;
};

static void restore_alias(void *ud, const char *alias)
{
    struct call *c = ((struct restore_ctx *)ud)->c;
    c->nlogged++;
    if (c->naliases < MAX_ALIASES)
        snprintf(c->aliases[c->naliases++], HV_ID_MAX, "%s", alias);
}

static void restore_concern(void *ud, const struct contract_concern *k)
{
    struct call *c = ((struct restore_ctx *)ud)->c;
    struct contract_call *w = &c->lc.w;

    c->nlogged_concerns++;
    if (w->nconcerns < HV_CONCERNS_MAX)
        w->concerns[w->nconcerns++] = *k;
    else
        w->concerns_more++;
}

static void restore_page(void *ud, int64_t seq, const char *group)
{
    struct restore_ctx *rc = ud;
    log_warn("%s: page of call %s to %s was never acknowledged by the broker: sending again",
             rc->c->lc.w.room, rc->c->lc.w.id, group);
    rc->cs->ops->page(rc->cs->ctx, group, &rc->c->lc.w, seq);
}

static int restore_one(void *ud, const struct logged_call *lc)
{
    struct restore_ctx *rc = ud;
    calls *cs = rc->cs;
    struct room_state *rs = room_get(cs, lc->w.room);
    struct call *c = calloc(1, sizeof *c);

    if (!rs || !c) {
        free(c);
        log_error("%s: out of memory restoring call %s", lc->w.room, lc->w.id);
        return 0;
    }
    if (rs->call) {  /* cannot happen with one controller per database; keep the newer */
        log_warn("%s: two open calls in the log; %s supersedes %s", lc->w.room, lc->w.id,
                 rs->call->lc.w.id);
        free(rs->call);
        cs->nopen--;
    }
    c->lc = *lc;
    c->alerted_ms = lc->timer_ms;
    rs->call = c;
    cs->nopen++;
    rc->c = c;
    if (c->lc.step >= policy_of(cs, c)->nsteps)
        c->lc.step = policy_of(cs, c)->nsteps - 1;
    c->next_ms = plan_next(cs, c);
    calllog_each_alias(cs->log, lc->w.id, restore_alias, rc);
    c->lc.w.nconcerns = c->lc.w.concerns_more = 0;
    calllog_each_concern(cs->log, lc->w.id, restore_concern, rc);
    if (c->lc.w.nconcerns == 0) {  /* none logged (not after the migration): its headline */
        struct contract_concern *k = &c->lc.w.concerns[c->lc.w.nconcerns++];
        *k = (struct contract_concern){ .reason = lc->w.reason, .priority = lc->w.priority,
                                        .raised_ms = lc->w.raised_ms };
        snprintf(k->detail, sizeof k->detail, "%s", lc->w.detail);
    }
    log_info("%s: call %s restored (%s, %s, escalation %d)", lc->w.room, lc->w.id,
             priority_name(lc->w.priority), call_state_name(lc->w.state), lc->w.escalation);
    calllog_each_undelivered(cs->log, lc->w.id, restore_page, rc);
    return 0;
}

int calls_restore(calls *cs, int64_t now)
{
    struct restore_ctx rc = { cs, NULL };
    (void)now;
    return calllog_each_open(cs->log, restore_one, &rc);
}

void calls_publish_all(calls *cs)
{
    for (size_t i = 0; i < cs->cfg->nrooms; i++) {
        const struct room_state *rs = room_find(cs, cs->cfg->rooms[i].id);
        cs->ops->publish_call(cs->ctx, cs->cfg->rooms[i].id,
                              rs && rs->call ? &rs->call->lc.w : NULL);
    }
    for (size_t i = 0; i < cs->nrooms; i++)  /* rooms gone from config, calls still open */
        if (cs->rooms[i].call && !roomcfg_room(cs->cfg, cs->rooms[i].id))
            cs->ops->publish_call(cs->ctx, cs->rooms[i].id, &cs->rooms[i].call->lc.w);
}

const struct contract_call *calls_get(const calls *cs, const char *room)
{
    const struct room_state *rs = room_find(cs, room);
    return rs && rs->call ? &rs->call->lc.w : NULL;
}

size_t calls_open_count(const calls *cs)
{
    return cs->nopen;
}
