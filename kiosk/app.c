/*
 * app.c - the kiosk's model: intents from the screens become messages, and
 * messages from the controller and the nurse station change what is shown.
 *
 * Every QoS 1 message goes through the outbox (outbox.c) first.  Within one
 * run, libmosquitto keeps what it could not send and sends it after a
 * reconnect; what an earlier run left in the outbox (it was killed, or the
 * power went) is re-sent once, at the first connection of this run.  A
 * message leaves the outbox when the broker acknowledges it.
 */
#include "app.h"
#include "clock.h"
#include "ids.h"
#include "log.h"
#include "outbox.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECKIN_THANKS_MS 4000
#define CALL_RESEND_MS 10000       /* no sign of the call at the controller: send it again */
#define CALL_RESEND_MAX_MS 120000

static struct log_ratelimit bad_cmd_rl = LOG_RATELIMIT_INIT(10, 1000);
/* Commands the kiosk refuses by design (a call's state on kiosk/cmd, a retained command). */
static struct log_ratelimit refused_cmd_rl = LOG_RATELIMIT_INIT(5, 1000);

/* ---- persistence -------------------------------------------------------------- */

/*
 * One intent, one transaction (issue 15): what an intent saves and the message it
 * queues commit together, one fdatasync, and the message goes to MQTT only once that
 * commit is done.  Before, a help press was six autocommits (five state rows, then the
 * call), six fdatasync before the call could leave.  The save_* helpers open their own
 * transaction, which joins the intent's when one is open (outbox_begin nests).
 */
static void save_begin(struct app *a)
{
    outbox_begin(a->outbox);
}

static int save_end(struct app *a)
{
    int rc = outbox_commit(a->outbox);

    if (rc != 0)
        log_error("outbox: the kiosk's state could not be saved; a restart may not show it");
    return rc;
}

static void save_int(struct app *a, const char *key, long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    outbox_state_set(a->outbox, key, buf);
}

static long long load_int(struct app *a, const char *key)
{
    char buf[32];
    outbox_state_get(a->outbox, key, buf, sizeof buf);
    return strtoll(buf, NULL, 10);
}

static void save_visit(struct app *a)
{
    save_begin(a);
    outbox_state_set(a->outbox, "phase", phase_name(a->phase));
    outbox_state_set(a->outbox, "visit", a->visit);
    outbox_state_set(a->outbox, "lang", a->lang);
    save_int(a, "phase_since", a->phase_since_ms);
    save_int(a, "ready_sent", a->ready_sent);
    save_end(a);
}

static void save_call(struct app *a)
{
    save_begin(a);
    outbox_state_set(a->outbox, "call_id", a->call_id);
    outbox_state_set(a->outbox, "call_by", a->call_by);
    save_int(a, "call_ui", a->call);
    save_int(a, "call_reason", a->call_reason);
    save_int(a, "call_priority", a->call_priority + 1);  /* 0 (or unset): the reason's */
    outbox_state_set(a->outbox, "call_detail", a->call_detail);
    save_end(a);
}

static void load_state(struct app *a)
{
    char buf[HV_ID_MAX];
    int p;

    outbox_state_get(a->outbox, "phase", buf, sizeof buf);
    p = phase_from_name(buf);
    a->phase = p < 0 ? PHASE_IDLE : (enum phase)p;
    outbox_state_get(a->outbox, "visit", a->visit, sizeof a->visit);
    outbox_state_get(a->outbox, "lang", a->lang, sizeof a->lang);
    if (!a->lang[0])
        strcpy(a->lang, "en");
    a->phase_since_ms = load_int(a, "phase_since");
    a->ready_sent = load_int(a, "ready_sent") != 0;
    outbox_state_get(a->outbox, "call_id", a->call_id, sizeof a->call_id);
    outbox_state_get(a->outbox, "call_by", a->call_by, sizeof a->call_by);
    a->call = a->call_id[0] ? (enum call_ui)load_int(a, "call_ui") : CALL_UI_NONE;
    if (a->call > CALL_UI_COMING)
        a->call = CALL_UI_CALLED;
    /* "called" and "on the way" were shown only once the controller had the call, and
     * its call log keeps it across restarts: still confirmed. */
    a->call_confirmed = a->call == CALL_UI_CALLED || a->call == CALL_UI_COMING;
    a->call_reason = (enum call_reason)load_int(a, "call_reason");
    a->call_priority = (int)load_int(a, "call_priority") - 1;
    if (a->call_priority < -1 || a->call_priority >= PRIO_COUNT)
        a->call_priority = -1;
    if (a->call_reason >= REASON_KIOSK_OFFLINE)
        a->call_reason = REASON_HELP;
    outbox_state_get(a->outbox, "call_detail", a->call_detail, sizeof a->call_detail);
    a->staff.lock.failures = (int)load_int(a, "pin_failures");
    a->staff.lock.until_ms = load_int(a, "pin_until");
}

/* ---- sending ---------------------------------------------------------------------- */

/* Never acknowledged for long, the oldest is forgotten: its outbox row stays and the next
 * run re-sends it (a duplicate id the controller recognises). */
static void track(struct app *a, int mid, int64_t seq)
{
    mqtt_inflight_add(&a->inflight, mid, seq);
}

static int link_publish(struct app *a, const char *topic, const char *payload, bool retain,
                        int *mid)
{
    if (!a->link)
        return -1;
    return a->link->publish(a->link->ctx, topic, payload, retain, mid);
}

/* A message written to the outbox inside an intent's transaction, published after it. */
struct queued {
    char topic[HV_TOPIC_MAX];
    char *json;      /* owned; NULL: nothing to send */
    int64_t seq;     /* its outbox row, or <= 0 when it could not be stored */
};

/* Writes json (owned, NULL when encoding failed) to the outbox under topic, in the open
 * transaction; publish_queued sends it once that has committed. */
static void queue_msg(struct app *a, const char *topic, char *json, struct queued *q)
{
    snprintf(q->topic, sizeof q->topic, "%s", topic);
    q->json = json;
    q->seq = 0;
    if (!json) {
        log_error("out of memory encoding a message");
        return;
    }
    q->seq = outbox_push(a->outbox, topic, json, false);
}

static void queue_kind(struct app *a, enum topic_kind kind, char *json, struct queued *q)
{
    char topic[HV_TOPIC_MAX];

    topic_build(topic, sizeof topic, a->cfg->prefix, kind, a->cfg->room);
    queue_msg(a, topic, json, q);
}

/*
 * Hands a queued message to MQTT, its transaction committed (whether the commit went
 * through or not: a message that could not be stored is sent anyway, and a retry after
 * a restart is all that is lost).  Returns the outbox seq (or <= 0).
 */
static int64_t publish_queued(struct app *a, struct queued *q, bool committed)
{
    int mid = -1;

    if (!q->json)
        return -1;
    if (!committed)
        q->seq = 0;  /* rolled back: no row for the acknowledgement to delete */
    if (q->seq <= 0)
        log_error("outbox: cannot store a message for %s; sending it anyway", q->topic);
    if (link_publish(a, q->topic, q->json, false, &mid) == 0 && q->seq > 0)
        track(a, mid, q->seq);
    a->pending = outbox_count(a->outbox);
    free(q->json);
    q->json = NULL;
    a->dirty = true;
    return q->seq;
}

/* Writes the message to the outbox (one commit), then hands it to MQTT. The outbox seq. */
static int64_t send_durable(struct app *a, enum topic_kind kind, char *json)
{
    struct queued q;

    save_begin(a);
    queue_kind(a, kind, json, &q);
    return publish_queued(a, &q, outbox_commit(a->outbox) == 0);
}

static char *call_json(struct app *a, enum call_reason reason, const char *detail, int64_t now)
{
    return contract_encode_kiosk_call_priority(a->call_id, reason, detail, a->call_priority, now);
}

/* The call again (a re-send, with what raised it: the first send may be the one the
 * controller never saw): one commit, then MQTT. */
static void send_call(struct app *a, enum call_reason reason, const char *detail, int64_t now)
{
    a->call_seq = send_durable(a, TOPIC_KIOSK_CALL, call_json(a, reason, detail, now));
    a->call_sent_link = a->connected ? a->link_gen : -1;
}

/* The status heartbeat's interval: half the keepalive, within what the contract allows. */
static int beat_ms(const struct app *a)
{
    int ms = a->cfg->broker.keepalive * 500;

    return ms < STATUS_BEAT_MIN ? STATUS_BEAT_MIN : ms > STATUS_BEAT_MAX ? STATUS_BEAT_MAX : ms;
}

void app_publish_status(struct app *a, int64_t now)
{
    char *json;

    if (!a->link)
        return;
    a->status_ms = now;
    json = contract_encode_kiosk_status_beat(a->phase, a->visit, beat_ms(a), now);
    if (json)
        link_publish(a, a->topic_status, json, true, NULL);
    free(json);
}

/*
 * The heartbeat: while connected, the same status again (fresh "ts") once a beat
 * has passed since the last one.  Returns when the next one is due (INT64_MAX while
 * offline: the connect publishes it).  A wall clock set back counts as due.
 */
static int64_t beat_tick(struct app *a, int64_t now)
{
    if (!a->connected || !a->link)
        return INT64_MAX;
    if (now >= a->status_ms + beat_ms(a) || now < a->status_ms)
        app_publish_status(a, now);
    return a->status_ms + beat_ms(a);
}

/* ---- calls ------------------------------------------------------------------------------ */

/* Opens a call for reason, or re-alerts the open one (same id, as the contract asks). */
static void raise_call_priority(struct app *a, enum call_reason reason, int priority,
                                const char *detail, int64_t now)
{
    struct queued q;

    save_begin(a);  /* the call's state and its message: one commit, then MQTT */
    if (a->call == CALL_UI_NONE) {
        if (ids_new("call", a->call_id, sizeof a->call_id) != 0)
            snprintf(a->call_id, sizeof a->call_id, "call-%s-%lld", a->cfg->room, (long long)now);
        a->call_by[0] = '\0';
        a->call = CALL_UI_SENDING;
        a->call_confirmed = false;
        a->call_reason = reason;
        a->call_priority = priority;  /* -1: the reason's, from the room's config */
        snprintf(a->call_detail, sizeof a->call_detail, "%s", detail ? detail : "");
        save_call(a);
        log_info("call %s (%s)", a->call_id, reason_name(reason));
    } else {
        log_info("call %s again (%s)", a->call_id, reason_name(reason));
    }
    if (!a->call_confirmed) {
        a->call_resend_gap_ms = CALL_RESEND_MS;
        a->call_resend_ms = now + CALL_RESEND_MS;
    }
    queue_kind(a, TOPIC_KIOSK_CALL, call_json(a, reason, detail, now), &q);
    a->call_seq = publish_queued(a, &q, save_end(a) == 0);
    a->call_sent_link = a->connected ? a->link_gen : -1;
}

static void raise_call(struct app *a, enum call_reason reason, const char *detail, int64_t now)
{
    raise_call_priority(a, reason, -1, detail, now);
}

/* The call went out but the room's retained call has not shown it: send it again. */
static void resend_unconfirmed(struct app *a, int64_t now)
{
    if (a->call == CALL_UI_NONE || a->call_confirmed || !a->call_resend_ms ||
        now < a->call_resend_ms || !a->connected)
        return;
    log_warn("no sign of call %s at the controller yet: sending it again", a->call_id);
    send_call(a, a->call_reason, a->call_detail[0] ? a->call_detail : NULL, now);
    a->call_resend_gap_ms = a->call_resend_gap_ms * 2 > CALL_RESEND_MAX_MS
                                ? CALL_RESEND_MAX_MS : a->call_resend_gap_ms * 2;
    a->call_resend_ms = now + a->call_resend_gap_ms;
}

static void forget_call(struct app *a)
{
    a->call = CALL_UI_NONE;
    a->call_confirmed = false;
    a->call_resend_ms = 0;
    a->call_id[0] = a->call_by[0] = a->call_detail[0] = '\0';
    a->call_seq = 0;
    save_call(a);
    a->dirty = true;
}

void app_help_pressed(struct app *a, int64_t now)
{
    raise_call(a, REASON_HELP, NULL, now);
}

void app_clear_call_bedside(struct app *a, const char *staff, int64_t now)
{
    struct queued q;

    if (a->call == CALL_UI_NONE)
        return;
    save_begin(a);  /* the clear and the forgotten call: one commit, then MQTT */
    queue_kind(a, TOPIC_KIOSK_CLEAR, contract_encode_kiosk_clear(a->call_id, staff, now), &q);
    log_info("call %s cleared at the bedside", a->call_id);
    forget_call(a);
    publish_queued(a, &q, save_end(a) == 0);
}

/* ---- the staff PIN ---------------------------------------------------------------------------- */

static void save_pin_lock(struct app *a)
{
    save_begin(a);
    save_int(a, "pin_failures", a->staff.lock.failures);
    save_int(a, "pin_until", a->staff.lock.until_ms);
    save_end(a);
}

/* P/room/R/kiosk/event {"id","event":"pin_locked","failures","until","ts"}, through the outbox. */
static void send_pin_locked(struct app *a, int64_t now)
{
    char id[HV_ID_MAX], until[HV_TS_LEN], ts[HV_TS_LEN], topic[HV_TOPIC_MAX];
    cJSON *o = cJSON_CreateObject();
    struct queued q;
    char *json;

    if (ids_new("event", id, sizeof id) != 0)
        snprintf(id, sizeof id, "event-%lld", (long long)now);
    clock_format_rfc3339(a->staff.lock.until_ms, until);
    clock_format_rfc3339(now, ts);
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "event", "pin_locked");
    cJSON_AddNumberToObject(o, "failures", a->staff.lock.failures);
    cJSON_AddStringToObject(o, "until", until);
    cJSON_AddStringToObject(o, "ts", ts);
    json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!json)
        return;
    snprintf(topic, sizeof topic, "%s/room/%s/kiosk/event", a->cfg->prefix, a->cfg->room);
    save_begin(a);
    queue_msg(a, topic, json, &q);
    publish_queued(a, &q, save_end(a) == 0);
}

bool app_pin_begin(struct app *a, const char *pin, int64_t now)
{
    a->dirty = true;
    return staff_pin_begin(&a->staff, pin, now);
}

enum pin_result app_pin_checked(struct app *a, const char *who, int64_t now)
{
    char next[STAFF_PIN_MAX + 1];
    bool lock_changed;
    int64_t locked_ms;
    enum staff_outcome r = staff_pin_checked(&a->staff, who, now, &lock_changed, &locked_ms);

    a->dirty = true;
    if (lock_changed)
        save_pin_lock(a);
    if (r == STAFF_OPENED)
        log_info("staff menu opened (%s)", who);
    else if (r == STAFF_WRONG)
        log_warn("staff PIN: wrong (%d in a row)", a->staff.lock.failures);
    else
        log_warn("staff PIN: %d wrong in a row; the PIN pad is locked for %lld s",
                 a->staff.lock.failures, (long long)(locked_ms / 1000));
    if (r == STAFF_LOCKED)
        send_pin_locked(a, now);
    /* The PIN typed during the check, if any, is checked now (unless the pad locked). */
    if (staff_pin_take_next(&a->staff, next))
        staff_pin_begin(&a->staff, next, now);
    explicit_bzero(next, sizeof next);
    return r == STAFF_OPENED ? PIN_RESULT_OK : r == STAFF_WRONG ? PIN_RESULT_WRONG
                                                                : PIN_RESULT_LOCKED;
}

enum pin_result app_pin_submit(struct app *a, const char *pin, int64_t now)
{
    if (!app_pin_begin(a, pin, now))
        return PIN_RESULT_LOCKED;
    return app_pin_checked(a, kcfg_pin_who(a->cfg, staff_pin_to_check(&a->staff)), now);
}

/* ---- the visit ------------------------------------------------------------------------------- */

static bool checkins_apply(enum phase p)
{
    return p == PHASE_INFUSION || p == PHASE_RECOVERY;
}

void app_set_phase(struct app *a, enum phase p, int64_t now)
{
    enum phase old = a->phase;

    if (p == PHASE_IDLE) {
        app_end_visit(a, now);
        return;
    }
    if (p == old)
        return;  /* nothing changes: no write, no status (a flood of these must not fsync) */
    a->phase_since_ms = now;
    a->phase = p;
    if (a->visit_ops)
        a->visit_ops->phase(a, old, now);
    a->checkin = CHECKIN_NONE;
    a->next_checkin_ms = checkins_apply(p) ? now + a->cfg->checkin_ms : 0;
    save_visit(a);
    app_publish_status(a, now);
    a->dirty = true;
    log_info("phase %s%s%s", phase_name(p), a->visit[0] ? ", visit " : "", a->visit);
}

void app_begin_visit(struct app *a, const char *visit, const char *lang, int64_t now)
{
    if (a->visit[0] && a->visit_ops)
        a->visit_ops->end_visit(a, now);  /* a visit begun over another: its forms end first */
    snprintf(a->visit, sizeof a->visit, "%s", visit);
    if (lang && lang[0])  /* else the language chosen on the welcome screen */
        snprintf(a->lang, sizeof a->lang, "%s", lang);
    a->ready_sent = false;
    a->phase = PHASE_IDLE;  /* so intake counts as a change */
    app_set_phase(a, PHASE_INTAKE, now);
}

void app_end_visit(struct app *a, int64_t now)
{
    if (!a->visit[0] && a->phase == PHASE_IDLE)
        return;  /* no visit to end: nothing to write */
    if (a->visit_ops)
        a->visit_ops->end_visit(a, now);
    if (a->visit[0])
        strcpy(a->lang, "en");  /* the next patient chooses afresh on the welcome screen */
    a->phase = PHASE_IDLE;
    a->phase_since_ms = now;
    a->visit[0] = '\0';
    a->ready_sent = false;
    a->checkin = CHECKIN_NONE;
    a->next_checkin_ms = 0;
    save_visit(a);
    app_publish_status(a, now);
    a->dirty = true;
    log_info("visit ended");
}

void app_set_lang(struct app *a, const char *lang)
{
    snprintf(a->lang, sizeof a->lang, "%s", lang && lang[0] ? lang : "en");
    outbox_state_set(a->outbox, "lang", a->lang);
    a->dirty = true;
}

int64_t app_send(struct app *a, enum topic_kind kind, char *json)
{
    return send_durable(a, kind, json);
}

void app_call(struct app *a, enum call_reason reason, int priority, const char *detail,
              int64_t now)
{
    raise_call_priority(a, reason, priority, detail, now);
}

/* ---- check-ins ---------------------------------------------------------------------------------- */

void app_checkin_answer(struct app *a, int feeling, bool want_someone, int64_t now)
{
    char id[HV_ID_MAX];

    if (ids_new("checkin", id, sizeof id) != 0)
        snprintf(id, sizeof id, "checkin-%lld", (long long)now);
    send_durable(a, TOPIC_KIOSK_CHECKIN, contract_encode_checkin(id, feeling, want_someone, now));
    if (want_someone || (feeling >= 1 && feeling <= 5 && a->cfg->unwell_feeling[feeling]))
        raise_call(a, REASON_UNWELL, want_someone ? "asked for someone at a check-in"
                                                  : "check-in: feeling unwell", now);
    a->checkin = CHECKIN_THANKS;
    a->checkin_shown_ms = now;
    a->dirty = true;
}

/* Prompts due, unanswered prompts fading, thanks going away, observation ending. */
int64_t app_tick(struct app *a, int64_t now)
{
    int64_t next = INT64_MAX;

    resend_unconfirmed(a, now);
    next = beat_tick(a, now);
    if (a->call != CALL_UI_NONE && !a->call_confirmed && a->call_resend_ms && a->connected &&
        a->call_resend_ms < next)
        next = a->call_resend_ms;
    if (a->checkin == CHECKIN_PROMPT && now >= a->checkin_shown_ms + a->cfg->checkin_timeout_ms) {
        char id[HV_ID_MAX];
        if (ids_new("checkin", id, sizeof id) != 0)
            snprintf(id, sizeof id, "checkin-%lld", (long long)now);
        send_durable(a, TOPIC_KIOSK_CHECKIN, contract_encode_checkin(id, 0, false, now));
        log_info("check-in prompt unanswered");
        a->checkin = CHECKIN_NONE;
        a->dirty = true;
    }
    if (a->checkin == CHECKIN_THANKS && now >= a->checkin_shown_ms + CHECKIN_THANKS_MS) {
        a->checkin = CHECKIN_NONE;
        a->dirty = true;
    }
    if (a->next_checkin_ms && now >= a->next_checkin_ms && checkins_apply(a->phase)) {
        if (a->checkin == CHECKIN_NONE && !staff_menu_is_open(&a->staff)) {
            a->checkin = CHECKIN_PROMPT;
            a->checkin_shown_ms = now;
            a->dirty = true;
        }
        a->next_checkin_ms = now + a->cfg->checkin_ms;
    }
    if (a->phase == PHASE_RECOVERY && !a->ready_sent &&
        now >= a->phase_since_ms + a->cfg->recovery_ms) {
        a->ready_sent = true;
        save_visit(a);
        raise_call(a, REASON_READY, "observation time is over", now);
    }
    if (staff_tick(&a->staff, now, &next))
        a->dirty = true;
    if (a->checkin == CHECKIN_PROMPT && a->checkin_shown_ms + a->cfg->checkin_timeout_ms < next)
        next = a->checkin_shown_ms + a->cfg->checkin_timeout_ms;
    if (a->checkin == CHECKIN_THANKS && a->checkin_shown_ms + CHECKIN_THANKS_MS < next)
        next = a->checkin_shown_ms + CHECKIN_THANKS_MS;
    if (a->next_checkin_ms && a->next_checkin_ms < next)
        next = a->next_checkin_ms;
    if (a->phase == PHASE_RECOVERY && !a->ready_sent && a->phase_since_ms + a->cfg->recovery_ms < next)
        next = a->phase_since_ms + a->cfg->recovery_ms;
    return next;
}

/* ---- the network ------------------------------------------------------------------------------------ */


/* Re-sends one message an earlier run left behind (this run's own are in flight already). */
static int replay_one(void *ud, const struct outbox_msg *m)
{
    struct app *a = ud;
    int mid = -1;

    if (mqtt_inflight_has(&a->inflight, m->seq))
        return 0;
    if (link_publish(a, m->topic, m->payload, m->retain, &mid) == 0)
        track(a, mid, m->seq);
    if (a->call != CALL_UI_NONE && strcmp(m->topic, a->topic_call) == 0)
        a->call_sent_link = a->link_gen;  /* the call went out on this link */
    return 0;
}

void app_on_connected(struct app *a, bool connected, int64_t now)
{
    a->connected = connected;
    a->dirty = true;
    if (!connected) {
        a->disconnected_since_ms = now;
        log_warn("cannot reach the broker; messages wait in the outbox");
        return;
    }
    a->link_gen++;
    log_info("connected; %d message(s) waiting in the outbox", outbox_count(a->outbox));
    app_publish_status(a, now);
    if (!a->replayed && a->link) {
        /* What an earlier run could not deliver, once, in order.  Messages of this run
         * are libmosquitto's to resend after a reconnect. */
        a->replayed = true;
        outbox_each(a->outbox, replay_one, a);
    }
}

void app_on_published(struct app *a, int mid)
{
    int64_t seq = mqtt_inflight_take(&a->inflight, mid);

    if (seq <= 0)
        return;
    outbox_done(a->outbox, seq);
    /* The broker has the call; the button still says it is being sent until the
     * controller shows it (on_room_call): a broker is not a nurse. */
    a->pending = outbox_count(a->outbox);
    a->dirty = true;
}

static void on_cmd(struct app *a, const struct msg_kiosk_cmd *c, int64_t now)
{
    switch (c->cmd) {
    case CMD_CALL_ACKNOWLEDGED:
    case CMD_CALL_CLEARED:
        /* kiosk/cmd is the station's; only the controller's retained P/call/R says what
         * became of the call (docs/protocol.md), so nobody can make the screen lie. */
        log_limited(&refused_cmd_rl, LOG_WARN, "ignored %s for call %s on kiosk/cmd: only the "
                    "room's call (P/call/R) says a call was acknowledged or cleared",
                    c->cmd == CMD_CALL_ACKNOWLEDGED ? "call_acknowledged" : "call_cleared", c->id);
        break;
    case CMD_BEGIN_VISIT:
        app_begin_visit(a, c->visit, c->lang, now);
        break;
    case CMD_PHASE:
        app_set_phase(a, c->phase, now);
        break;
    case CMD_END_VISIT:
        app_end_visit(a, now);
        break;
    }
}

/* True for a station's login ("station", "station-..."): only a station names its nurse. */
static bool via_station(const char *via)
{
    return strcmp(via, "station") == 0 || strncmp(via, "station-", 8) == 0;
}

/*
 * What the contract's decoder does not keep of the room's call: "via" (the login that
 * acknowledged, into via) and whether our id is among its "aliases" (the ids the
 * controller merged into it).  Both optional: an older controller sends neither.
 */
static bool call_extras(const char *payload, size_t len, const char *ours, char *via,
                        size_t vialen)
{
    cJSON *root = cJSON_ParseWithLength(payload, len);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "via");
    const cJSON *al = cJSON_GetObjectItemCaseSensitive(root, "aliases"), *e;
    bool alias = false;

    snprintf(via, vialen, "%s", cJSON_IsString(v) ? v->valuestring : "");
    if (cJSON_IsArray(al))
        cJSON_ArrayForEach(e, al)
            alias |= cJSON_IsString(e) && ours[0] && strcmp(e->valuestring, ours) == 0;
    cJSON_Delete(root);
    return alias;
}

/*
 * The room's retained call, written by the controller alone (the ACL): the one
 * source of "called", "on the way" and "cleared", and after a restart the call as
 * it stands.
 */
static void on_room_call(struct app *a, const char *payload, size_t len)
{
    struct contract_call c;
    const char *why = NULL;
    char via[HV_NAME_MAX];

    if (len == 0) {
        /* No open call at the controller.  If it had ours, ours was cleared; if it never
         * showed ours, ours has not reached it yet: keep it (and keep re-sending). */
        if (a->call != CALL_UI_NONE && a->call_confirmed)
            forget_call(a);
        return;
    }
    if (contract_decode_call_state(payload, len, &c, &why) != 0) {
        log_limited(&bad_cmd_rl, LOG_WARN, "dropped the room's call: %s", why);
        return;
    }
    if (c.reason == REASON_KIOSK_OFFLINE)
        return;  /* the controller's call about us, not the patient's */
    /* Ours by id, or merged into the room's open call (an alias): either way the
     * controller has it, and the kiosk shows the open call from now on. */
    if (!call_extras(payload, len, a->call_id, via, sizeof via) && a->call_id[0] &&
        strcmp(a->call_id, c.id) != 0)
        log_info("call %s: the room's open call is %s; showing that one", a->call_id, c.id);
    snprintf(a->call_id, sizeof a->call_id, "%s", c.id);
    /* A station names the nurse it authenticated; a pager's login is not for patients. */
    snprintf(a->call_by, sizeof a->call_by, "%s", via_station(via) ? c.by : "");
    a->call = c.state == CALL_ACKNOWLEDGED ? CALL_UI_COMING : CALL_UI_CALLED;
    a->call_confirmed = true;   /* the controller has it */
    a->call_resend_ms = 0;
    save_call(a);
    a->dirty = true;
}

/*
 * A controller's status: one that comes online while our call is unconfirmed may
 * have missed it (it resubscribed after the kiosk sent it): send it again at once,
 * same id.  A retained "online" that was there when we subscribed is not news if
 * the call already went out on this link.
 */
static void on_controller_status(struct app *a, const char *payload, size_t len,
                                 bool retained, int64_t now)
{
    struct msg_status st;
    const char *why = NULL;

    if (contract_decode_status(payload, len, &st, &why) != 0 || !st.online)
        return;
    if (a->call == CALL_UI_NONE || a->call_confirmed || !a->connected)
        return;
    if (retained && a->call_sent_link == a->link_gen)
        return;
    log_info("a controller is online and call %s is not confirmed: sending it again",
             a->call_id);
    send_call(a, a->call_reason, a->call_detail[0] ? a->call_detail : NULL, now);
    a->call_resend_gap_ms = CALL_RESEND_MS;
    a->call_resend_ms = now + CALL_RESEND_MS;
}

void app_on_message(struct app *a, const char *topic, const char *payload, size_t len,
                    bool retained, int64_t now)
{
    char name[HV_NAME_MAX];
    enum topic_kind kind = topic_parse(a->cfg->prefix, topic, name);
    struct msg_kiosk_cmd cmd;
    const char *why = NULL;

    if (kind == TOPIC_CONTROLLER && payload) {
        on_controller_status(a, payload, len, retained, now);
        return;
    }
    if (kind == TOPIC_UNKNOWN || strcmp(name, a->cfg->room) != 0 || !payload) {
        log_limited(&bad_cmd_rl, LOG_WARN, "dropped message on %s: not for this kiosk", topic);
        return;
    }
    if (kind == TOPIC_CALL) {
        on_room_call(a, payload, len);
        return;
    }
    if (kind != TOPIC_KIOSK_CMD)
        return;
    if (retained) {
        /* A command is an instant, not a state: a retained one would replay (a visit
         * begun again at every reconnect).  Nobody should retain one. */
        log_limited(&refused_cmd_rl, LOG_WARN, "ignored a retained command on %s: commands "
                    "are never retained", topic);
        return;
    }
    if (contract_decode_kiosk_cmd(payload, len, &cmd, &why) != 0) {
        log_limited(&bad_cmd_rl, LOG_WARN, "dropped command on %s: %s", topic, why);
        return;
    }
    on_cmd(a, &cmd, now);
}

int app_init(struct app *a, const struct kiosk_config *cfg, struct outbox *ob,
             const struct app_link *link, int64_t now)
{
    memset(a, 0, sizeof *a);
    a->cfg = cfg;
    a->outbox = ob;
    a->link = link;
    a->inflight = (struct mqtt_inflight){ a->inflight_slots,
                                        (int)(sizeof a->inflight_slots / sizeof a->inflight_slots[0]), 0 };
    topic_build(a->topic_status, sizeof a->topic_status, cfg->prefix, TOPIC_KIOSK_STATUS,
                cfg->room);
    topic_build(a->topic_call, sizeof a->topic_call, cfg->prefix, TOPIC_KIOSK_CALL, cfg->room);
    load_state(a);
    if (a->call != CALL_UI_NONE && !a->call_confirmed) {  /* until the room's call shows it */
        a->call_resend_gap_ms = CALL_RESEND_MS;
        a->call_resend_ms = now + CALL_RESEND_MS;
    }
    if (checkins_apply(a->phase))
        a->next_checkin_ms = now + cfg->checkin_ms;
    a->pending = outbox_count(ob);
    a->disconnected_since_ms = now;
    a->dirty = true;
    return 0;
}
