/*
 * station.c - haven-station, the application: the MQTT session as the
 * station login, the board, sessions, users, the audit log, event streams
 * and the report's round trip to a controller.
 *
 * Three threads.  The main thread runs the MQTT session (common/mqtt.h), the
 * 1 s heartbeat tick, the station's retained status and signals;
 * libmicrohttpd's thread calls the station_* functions of station.h, and
 * http.c's login worker station_login.  One
 * mutex (st->lock) guards the board, the sessions, the streams and the
 * pending reports; the users have a rwlock of their own (argon2id takes
 * ~0.3 s and must not stall the board) and the audit log a mutex (its
 * fdatasync).  Actions are published from the HTTP thread at once
 * (the session is threaded), so an ack is on the wire before the reply.
 */
#include "station.h"
#include "audit.h"
#include "board.h"
#include "clock.h"
#include "contract.h"
#include "err.h"
#include "ingest.h"
#include "log.h"
#include "mqtt.h"
#include "report.h"
#include "users.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "station_priv.h"


static struct log_ratelimit bad_input_rl = LOG_RATELIMIT_INIT(20, 1000);
static struct log_ratelimit login_rl = LOG_RATELIMIT_INIT(20, 1000);
static struct log_ratelimit action_rl = LOG_RATELIMIT_INIT(20, 1000);

/* The rate-limited warnings' counts, once their second is over (the main loop). */
void station_flush_logs(void)
{
    log_limited_flush(&bad_input_rl, LOG_WARN, "dropped messages");
    log_limited_flush(&login_rl, LOG_WARN, "login refusals");
    log_limited_flush(&action_rl, LOG_WARN, "refused actions");
}

/* ---- small helpers ------------------------------------------------------------------- */

static void random_hex(char *out, size_t nbytes)
{
    unsigned char raw[32];
    static const char hex[] = "0123456789abcdef";

    if (nbytes > sizeof raw)
        nbytes = sizeof raw;
    if (getrandom(raw, nbytes, 0) != (ssize_t)nbytes)
        for (size_t i = 0; i < nbytes; i++)   /* never: getrandom blocks until seeded */
            raw[i] = (unsigned char)rand();
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[2 * nbytes] = '\0';
}

static void do_audit(station *st, const struct session *se, const char *user, const char *action,
                     const char *room, const char *call, const char *detail,
                     const struct http_client *cl, bool ok, int *rc)
{
    struct audit_entry e = {
        .ts_ms = clock_now_ms(), .user = se ? se->user : user,
        .role = se ? user_role_name(se->role) : NULL, .action = action, .room = room,
        .call = call, .detail = detail, .addr = cl ? cl->addr : NULL,
        .agent = cl ? cl->agent : NULL, .ok = ok,
    };
    int r;

    pthread_mutex_lock(&st->audit_lock);
    r = st->audit ? audit_append(st->audit, &e) : HV_EIO;
    pthread_mutex_unlock(&st->audit_lock);
    if (rc)
        *rc = r;
}

static void publish_json_obj(station *st, const char *topic, cJSON *o, bool retain)
{
    char *json = o ? cJSON_PrintUnformatted(o) : NULL;

    if (!json) {
        log_error("out of memory encoding a message for %s", topic);
    } else {
        mqtt_session_publish(st->mqtt, topic, json, strlen(json), 1, retain, NULL);
        free(json);
    }
    cJSON_Delete(o);
}

/* ---- streams (st->lock held) ---------------------------------------------------------- */

void station_wake_streams(station *st)
{
    for (station_stream *s = st->streams; s; s = s->next) {
        if (s->suspended) {
            s->suspended = false;
            st->waker.resume(s->conn);
        }
    }
}

static void set_boards(station *st)
{
    board_set_boards(st->board, st->nstreams, st->narmed);
    st->status_dirty = true;
    station_wake_streams(st);
}

static void sbuf_add(station_stream *s, const char *data, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 1024;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *grown = realloc(s->buf, cap);
        if (!grown) {
            s->oom = true;
            return;
        }
        s->buf = grown;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
}

static void sbuf_str(station_stream *s, const char *text)
{
    sbuf_add(s, text, strlen(text));
}

/* One SSE event; a newline in data (never from cJSON) would start a new data: line. */
static void sbuf_event(station_stream *s, const char *event, int64_t id, const char *data)
{
    char head[96];

    if (id > 0)
        snprintf(head, sizeof head, "event: %s\nid: %lld\ndata: ", event, (long long)id);
    else
        snprintf(head, sizeof head, "event: %s\ndata: ", event);
    sbuf_str(s, head);
    for (const char *p = data; *p;) {
        size_t n = strcspn(p, "\r\n");
        sbuf_add(s, p, n);
        p += n;
        if (*p) {
            sbuf_str(s, "\ndata: ");
            p += (*p == '\r' && p[1] == '\n') ? 2 : 1;
        }
    }
    sbuf_str(s, "\n\n");
}

static void on_board_event(void *ctx, int64_t seq, const char *event, const char *data)
{
    sbuf_event(ctx, event, seq, data);
}

void station_shared_unref(struct shared *sh)
{
    if (sh && --sh->refs == 0) {
        free(sh->s);
        free(sh);
    }
}

/*
 * The snapshot's JSON without its closing brace, shared: a stream adds its own
 * ',"stream":"<id>"}'.  Streams that open within SNAP_SHARE_MS of each other
 * share one copy (1,000 rooms: 164 kB; 200 boards reconnecting after a
 * restart would otherwise hold 200 of them in flight): the copy is of board
 * seq *seq, and the stream then replays the events after it from the ring
 * (every stream that opens is itself one: the station's "boards" count).
 * NULL on no memory.
 */
static struct shared *snapshot_text(station *st, int64_t *seq_out)
{
    int64_t seq = board_seq(st->board), mono = clock_mono_ms();
    struct shared *sh;
    char *snap;
    size_t n;

    if (st->snap && mono - st->snap_mono < SNAP_SHARE_MS &&
        board_events_since(st->board, st->snap_seq, NULL, NULL) >= 0) {
        st->snap->refs++;
        *seq_out = st->snap_seq;
        return st->snap;
    }
    snap = board_snapshot_json(st->board, clock_now_ms());
    n = snap ? strlen(snap) : 0;
    /* cJSON's unformatted text has no line break: it is one data: line as it is */
    if (!snap || n < 2 || snap[n - 1] != '}' || strpbrk(snap, "\r\n")) {
        free(snap);
        return NULL;
    }
    sh = malloc(sizeof *sh);
    if (!sh) {
        free(snap);
        return NULL;
    }
    sh->refs = 2;               /* the cache's and the caller's */
    sh->len = n - 1;
    sh->s = snap;
    station_shared_unref(st->snap);
    st->snap = sh;
    st->snap_seq = seq;
    st->snap_mono = mono;
    *seq_out = seq;
    return sh;
}

/* The board as an "event: snapshot", with the stream's id in it; s->last_seq becomes its seq. */
static void sbuf_snapshot(station *st, station_stream *s)
{
    int64_t seq = 0;
    struct shared *sh = s->big ? NULL : snapshot_text(st, &seq);   /* never two: see stream_fill */
    char part[96];

    if (!sh) {
        s->oom = true;
        return;
    }
    s->last_seq = seq;
    snprintf(part, sizeof part, "event: snapshot\nid: %lld\ndata: ", (long long)seq);
    sbuf_str(s, part);
    s->big = sh;
    s->big_at = s->len;
    s->big_off = 0;
    snprintf(part, sizeof part, ",\"stream\":\"%s\"", s->id);
    sbuf_str(s, part);
    sbuf_str(s, st->snap_extra ? st->snap_extra : "");    /* scenes and chains: one line */
    sbuf_str(s, "}\n\n");
}

/* Bytes the stream has still to send. */
static size_t stream_pending(const station_stream *s)
{
    return s->len - s->off + (s->big ? s->big->len - s->big_off : 0);
}

/* Everything is sent: an empty buffer, and no big one kept (a burst must not stay). */
static void stream_drained(station_stream *s)
{
    s->off = s->len = 0;
    if (s->cap > STREAM_BUF_KEEP) {
        free(s->buf);
        s->buf = NULL;
        s->cap = 0;
    }
}

/* Up to max bytes of what is pending into out. */
static size_t stream_copy(station_stream *s, char *out, size_t max)
{
    size_t n = 0;

    while (n < max && stream_pending(s)) {
        size_t k;
        if (s->big && s->off == s->big_at) {
            k = s->big->len - s->big_off;
            k = k < max - n ? k : max - n;
            memcpy(out + n, s->big->s + s->big_off, k);
            s->big_off += k;
            if (s->big_off == s->big->len) {
                station_shared_unref(s->big);
                s->big = NULL;
            }
        } else {
            size_t end = s->big ? s->big_at : s->len;
            k = end - s->off < max - n ? end - s->off : max - n;
            memcpy(out + n, s->buf + s->off, k);
            s->off += k;
        }
        n += k;
    }
    return n;
}

/* What the stream has not been sent yet: board events (or a snapshot), a heartbeat. */
static void stream_fill(station *st, station_stream *s)
{
    int64_t seq = board_seq(st->board);

    if (seq != s->last_seq) {
        size_t mark = s->len;
        if (seq < s->last_seq || board_events_since(st->board, s->last_seq, on_board_event, s) < 0) {
            s->len = mark;    /* the ring lost some: the whole picture instead */
            sbuf_snapshot(st, s);   /* (the events after it follow at the next fill) */
        } else {
            s->last_seq = seq;
        }
    }
    if (s->hb_gen != st->hb_gen) {
        char data[48];
        snprintf(data, sizeof data, "{\"ts\":%lld}", (long long)clock_now_ms());
        sbuf_event(s, "hb", 0, data);
        s->hb_gen = st->hb_gen;
    }
}

station_stream *station_stream_open(station *st, const char *token, int64_t last_id, void *conn,
                                    int *status)
{
    station_stream *s = NULL;
    char hello[64];

    pthread_mutex_lock(&st->lock);
    *status = 401;
    if (st->stopping || !sessions_find(st->sessions, token, clock_mono_ms()))
        goto out;
    *status = 503;
    if (st->nstreams >= STREAMS_MAX) {
        log_limited(&bad_input_rl, LOG_WARN, "refused an event stream: %d are open already",
                    STREAMS_MAX);
        goto out;
    }
    s = calloc(1, sizeof *s);
    if (!s)
        goto out;
    random_hex(s->id, 8);
    snprintf(s->token, sizeof s->token, "%s", token);
    s->conn = conn;
    s->hb_gen = st->hb_gen;
    sbuf_str(s, "retry: 2000\n\n");
    /* The stream's id first, for a resumed stream too: the page arms its sound with it. */
    snprintf(hello, sizeof hello, "{\"stream\":\"%s\"}", s->id);
    sbuf_event(s, "stream", 0, hello);
    s->last_seq = board_seq(st->board);
    if (last_id <= 0 || last_id > s->last_seq ||
        board_events_since(st->board, last_id, on_board_event, s) < 0)
        sbuf_snapshot(st, s);
    if (s->oom) {
        station_shared_unref(s->big);
        free(s->buf);
        free(s);
        s = NULL;
        goto out;
    }
    s->next = st->streams;
    if (st->streams)
        st->streams->prev = s;
    st->streams = s;
    st->nstreams++;
    set_boards(st);
out:
    pthread_mutex_unlock(&st->lock);
    return s;
}

ssize_t station_stream_read(station *st, station_stream *s, char *buf, size_t max)
{
    ssize_t n = 0;

    pthread_mutex_lock(&st->lock);
    if (st->stopping || s->oom || !sessions_find(st->sessions, s->token, clock_mono_ms())) {
        n = -1;
        goto out;
    }
    if (!stream_pending(s)) {
        stream_drained(s);
        stream_fill(st, s);
        if (s->oom) {
            n = -1;
            goto out;
        }
    }
    if (!stream_pending(s)) {
        /* Nothing to send: suspended (never a bare 0, which MHD would call again at
         * once) until an event or the next heartbeat tick resumes it. */
        s->suspended = true;
        st->waker.suspend(s->conn);
        goto out;
    }
    n = (ssize_t)stream_copy(s, buf, max);
out:
    pthread_mutex_unlock(&st->lock);
    return n;
}

void station_stream_close(station *st, station_stream *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&st->lock);
    if (s->prev)
        s->prev->next = s->next;
    else
        st->streams = s->next;
    if (s->next)
        s->next->prev = s->prev;
    st->nstreams--;
    if (s->armed)
        st->narmed--;
    if (!st->stopping)
        set_boards(st);
    pthread_mutex_unlock(&st->lock);
    station_shared_unref(s->big);
    free(s->buf);
    free(s);
}

void station_set_waker(station *st, const struct station_waker *w)
{
    pthread_mutex_lock(&st->lock);
    st->waker = *w;
    pthread_mutex_unlock(&st->lock);
}

/* ---- login and sessions ---------------------------------------------------------------- */

bool station_user_group(station *st, const char *user, char *group, size_t len)
{
    const char *g;

    pthread_rwlock_rdlock(&st->users_lock);
    g = users_group(st->users, user);
    snprintf(group, len, "%s", g ? g : "");
    pthread_rwlock_unlock(&st->users_lock);
    return g != NULL;
}

/*
 * What every snapshot carries from the clinic's config (docs/station.md):
 * the scenes a light override may name, and per priority the groups its
 * chain pages, step by step (the phone view's "my group's calls").
 * Malloc'd ",\"scenes\":[..],\"chains\":{..}", or NULL on no memory.
 */
char *station_snapshot_extra(const struct room_config *c)
{
    cJSON *o = cJSON_CreateObject(), *sc = cJSON_AddArrayToObject(o, "scenes");
    cJSON *ch = cJSON_AddObjectToObject(o, "chains");
    char *text, *out = NULL;

    for (int i = 0; sc && i < c->lighting.nscenes; i++)
        cJSON_AddItemToArray(sc, cJSON_CreateString(c->lighting.scenes[i].name));
    for (int p = 0; ch && p < PRIO_COUNT; p++) {
        cJSON *steps = cJSON_AddArrayToObject(ch, priority_name((enum priority)p));
        for (int k = 0; steps && k < c->policy[p].nsteps; k++)
            cJSON_AddItemToArray(steps, cJSON_CreateString(c->policy[p].steps[k].group));
    }
    text = sc && ch ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (text && strlen(text) >= 2) {
        text[strlen(text) - 1] = '\0';     /* {"scenes":..} -> ,"scenes":.. */
        text[0] = ',';
        out = text;
    } else {
        free(text);
    }
    return out;
}

/* A warning for each account whose group the clinic's config does not have. */
void station_check_groups(const char *path, const users *u, const struct room_config *c)
{
    const char *group;

    for (size_t i = 0; i < users_count(u); i++) {
        const char *name = users_nth(u, i, &group);
        if (group && !roomcfg_has_group(c, group))
            log_warn("%s: %s's group '%s' is not one of haven.cfg's groups: on the phone, "
                     "%s sees urgent calls only", path, name, group, name);
    }
}

bool station_session(station *st, const char *token, struct session *out)
{
    const struct session *se;

    pthread_mutex_lock(&st->lock);
    se = sessions_find(st->sessions, token, clock_mono_ms());
    if (se)
        *out = *se;
    pthread_mutex_unlock(&st->lock);
    return se != NULL;
}

bool station_login_refused(station *st, const char *user, const struct http_client *cl,
                           int *wait_s)
{
    const char *name = user_name_valid(user) ? user : "(invalid)";
    const char *addr = cl->addr ? cl->addr : "?";
    int64_t wait;

    pthread_mutex_lock(&st->lock);
    wait = sessions_login_wait(st->sessions, name, addr, clock_mono_ms());
    pthread_mutex_unlock(&st->lock);
    if (wait <= 0)
        return false;
    *wait_s = (int)((wait + 999) / 1000);
    log_limited(&login_rl, LOG_WARN, "login as %s from %s refused: too many wrong passwords, "
                "wait %d s", name, addr, *wait_s);
    do_audit(st, NULL, name, "login_refused", NULL, NULL, "backoff", cl, false, NULL);
    return true;
}

void station_login_busy(station *st, const char *user, const struct http_client *cl,
                        int waiting)
{
    const char *name = user_name_valid(user) ? user : "(invalid)";

    log_limited(&login_rl, LOG_WARN, "login as %s from %s refused (503): %d logins already wait "
                "for their password check", name, cl->addr ? cl->addr : "?", waiting);
    do_audit(st, NULL, name, "login_refused", NULL, NULL, "busy", cl, false, NULL);
}

enum login_result station_login(station *st, const char *user, const char *password,
                                const char *view, const struct http_client *cl,
                                char token[SESSION_TOKEN_LEN], int *wait_s)
{
    const char *name = user_name_valid(user) ? user : "(invalid)";
    const char *addr = cl->addr ? cl->addr : "?";
    enum session_view v = !strcmp(view, "phone") ? VIEW_PHONE : VIEW_BOARD;
    enum user_role role = ROLE_NURSE;
    const struct session *se = NULL;
    bool ok;

    /* Again here: wrong passwords may have come in while this one waited in the queue. */
    if (station_login_refused(st, user, cl, wait_s))
        return LOGIN_WAIT;
    pthread_rwlock_rdlock(&st->users_lock);
    ok = user_name_valid(user) && users_verify(st->users, user, password, &role);
    if (!user_name_valid(user))  /* the same work as a wrong password, for the timing */
        users_verify(st->users, "-", password, NULL);
    pthread_rwlock_unlock(&st->users_lock);

    pthread_mutex_lock(&st->lock);
    if (ok) {
        sessions_login_ok(st->sessions, name, addr);
        se = sessions_create(st->sessions, user, role, v, clock_mono_ms());
        if (se)
            memcpy(token, se->token, SESSION_TOKEN_LEN);
    } else {
        sessions_login_failed(st->sessions, name, addr, clock_mono_ms());
    }
    pthread_mutex_unlock(&st->lock);
    if (ok && se) {
        log_info("%s (%s) logged in from %s (%s view)", user, user_role_name(role), addr,
                 v == VIEW_PHONE ? "phone" : "board");
        struct session copy = { .role = role };
        snprintf(copy.user, sizeof copy.user, "%s", user);
        do_audit(st, &copy, NULL, "login", NULL, NULL, v == VIEW_PHONE ? "phone" : "board", cl,
                 true, NULL);
        return LOGIN_OK;
    }
    if (ok)
        log_error("login as %s: no memory for a session", user);
    log_limited(&login_rl, LOG_WARN, "login as %s from %s: wrong name or password", name, addr);
    do_audit(st, NULL, name, "login_failed", NULL, NULL, NULL, cl, false, NULL);
    return LOGIN_WRONG;
}

void station_logout(station *st, const struct session *se, const struct http_client *cl)
{
    pthread_mutex_lock(&st->lock);
    sessions_end(st->sessions, se->token);
    pthread_mutex_unlock(&st->lock);
    log_info("%s logged out", se->user);
    do_audit(st, se, NULL, "logout", NULL, NULL, NULL, cl, true, NULL);
}

void station_audit_refusal(station *st, const struct session *se, const char *what,
                           const struct http_client *cl)
{
    do_audit(st, se, NULL, what, NULL, NULL, "csrf", cl, false, NULL);
}

void station_audit_http(station *st, const struct session *se, const char *user,
                        const char *action, const char *detail, const struct http_client *cl,
                        bool ok)
{
    do_audit(st, se, user, action, NULL, NULL, detail, cl, ok, NULL);
}

/* ---- actions ----------------------------------------------------------------------------- */

struct action {
    const struct session *se;
    const struct http_client *cl;
    const char *name, *room, *call;
    const cJSON *body;
    char *reply;
    size_t replylen;
};

static int reply_error(struct action *a, int status, const char *what)
{
    cJSON *o = cJSON_CreateObject();
    char *text;

    cJSON_AddStringToObject(o, "error", what);
    text = cJSON_PrintUnformatted(o);
    snprintf(a->reply, a->replylen, "%s", text ? text : "{\"error\":\"?\"}");
    free(text);
    cJSON_Delete(o);
    if (status != 400 || a->se)
        log_limited(&action_rl, LOG_WARN, "action %s by %s refused (%d): %s",
                    a->name ? a->name : "?", a->se ? a->se->user : "?", status, what);
    return status;
}

/* A refused action that is a nurse's intent (not a malformed body): audited with the reason. */
static int refuse(station *st, struct action *a, int status, const char *what)
{
    do_audit(st, a->se, NULL, a->name, a->room, a->call, what, a->cl, false, NULL);
    return reply_error(a, status, what);
}

static const char *str_member(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The room's call as the board shows it: its id and priority, or false with none. */
static bool room_call(station *st, const char *room, char *id, size_t idlen, int *prio)
{
    char *tile;
    cJSON *t, *call;
    bool found = false;

    pthread_mutex_lock(&st->lock);
    tile = board_tile_json(st->board, room);
    pthread_mutex_unlock(&st->lock);
    t = tile ? cJSON_Parse(tile) : NULL;
    call = t ? cJSON_GetObjectItemCaseSensitive(t, "call") : NULL;
    if (cJSON_IsObject(call) && str_member(call, "id")) {
        snprintf(id, idlen, "%s", str_member(call, "id"));
        *prio = str_member(call, "priority") ? priority_from_name(str_member(call, "priority")) : -1;
        found = true;
    }
    cJSON_Delete(t);
    free(tile);
    return found;
}

static bool room_known(station *st, const char *room)
{
    bool known;

    pthread_mutex_lock(&st->lock);
    known = room_id_valid(room) && roomcfg_room(st->clinic, room) != NULL;
    pthread_mutex_unlock(&st->lock);
    return known;
}

static bool is_connected(station *st)
{
    bool up;

    pthread_mutex_lock(&st->lock);
    up = st->connected;
    pthread_mutex_unlock(&st->lock);
    return up;
}

static int ok_reply(struct action *a)
{
    snprintf(a->reply, a->replylen, "{\"ok\":true}");
    return 200;
}

/* Audits (synced) then publishes: an action that cannot be recorded is not carried out. */
static int carry_out(station *st, struct action *a, const char *detail, enum topic_kind kind,
                     cJSON *payload)
{
    char topic[HV_TOPIC_MAX];
    int rc;

    if (!is_connected(st)) {
        cJSON_Delete(payload);
        return refuse(st, a, 503, "the station is not connected to the broker");
    }
    do_audit(st, a->se, NULL, a->name, a->room, a->call, detail, a->cl, true, &rc);
    if (rc) {
        cJSON_Delete(payload);
        log_error("action %s by %s refused: the audit log cannot be written", a->name,
                  a->se->user);
        return reply_error(a, 500, "the audit log cannot be written");
    }
    if (kind == TOPIC_CALL_ACK || kind == TOPIC_CALL_CLEAR)
        topic_build_login(topic, sizeof topic, st->cfg.clinic.prefix, kind, a->room, st->login);
    else
        topic_build(topic, sizeof topic, st->cfg.clinic.prefix, kind, a->room);
    publish_json_obj(st, topic, payload, false);
    log_info("%s: %s by %s%s%s", a->room, a->name, a->se->user, detail ? " " : "",
             detail ? detail : "");
    return ok_reply(a);
}

/* ack and clear: the account's name as by, never the browser's. */
static int act_call(station *st, struct action *a, bool clear)
{
    char id[HV_ID_MAX];
    int prio = -1;
    cJSON *o;

    a->call = str_member(a->body, "call");
    if (!a->call || !ids_valid(a->call))
        return reply_error(a, 400, "call must be the call's id");
    if (!room_call(st, a->room, id, sizeof id, &prio) || strcmp(id, a->call))
        return refuse(st, a, 409, "that call is no longer the room's call");
    if (clear && prio == PRIO_URGENT)
        return refuse(st, a, 409, "urgent calls clear at the bedside");
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", a->call);
    cJSON_AddStringToObject(o, "by", a->se->user);
    return carry_out(st, a, NULL, clear ? TOPIC_CALL_CLEAR : TOPIC_CALL_ACK, o);
}

static bool lang_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n < 2 || n > 7)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (i >= 2 && (s[i] == '-' || (s[i] >= 'A' && s[i] <= 'Z')))))
            return false;
    return true;
}

/*
 * The optional patient key of begin_visit (issue 14 part 2): the clinic's own
 * pseudonymous code, never a name.  NULL (and *why) when it is not one; "" for none.
 */
static const char *patient_key(const cJSON *body, const char **why)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "patient");

    if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !v->valuestring[0]))
        return "";
    if (!cJSON_IsString(v) || strchr(v->valuestring, ' ') || !ids_valid(v->valuestring) ||
        strlen(v->valuestring) >= RECORD_KEY_MAX) {
        *why = "the patient key must be the clinic's pseudonymous code (1 to 63 of A-Z a-z 0-9 "
               ". _ : -, no spaces), never a name";
        return NULL;
    }
    return v->valuestring;
}

static int record_begun(record *r, int dropout_days, void *ctx)
{
    const char *const *v = ctx;   /* visit, patient, room */

    (void)dropout_days;
    return record_visit_begun(r, v[0], v[1], v[2], clock_now_ms());
}

static int act_visit(station *st, struct action *a)
{
    cJSON *o = cJSON_CreateObject();
    const char *detail = NULL, *patient = "";
    char with_patient[2 * HV_ID_MAX + 16];
    int status;

    if (!strcmp(a->name, "begin_visit")) {
        const char *visit = str_member(a->body, "visit"), *lang = str_member(a->body, "lang");
        const char *why = NULL;
        if (!lang)
            lang = "en";
        if (!visit || !ids_valid(visit) || !lang_valid(lang)) {
            cJSON_Delete(o);
            return reply_error(a, 400, "begin_visit needs a visit id (V-...) and a lang (en, es)");
        }
        if (!(patient = patient_key(a->body, &why))) {
            cJSON_Delete(o);
            return reply_error(a, 400, why);
        }
        cJSON_AddStringToObject(o, "cmd", "begin_visit");
        cJSON_AddStringToObject(o, "visit", visit);
        cJSON_AddStringToObject(o, "lang", lang);
        /* Optional: which infusion of the course (1 = the first), for the kiosk's checklist. */
        const cJSON *inf = cJSON_GetObjectItemCaseSensitive(a->body, "infusion");
        if (inf && !cJSON_IsNull(inf)) {
            if (!cJSON_IsNumber(inf) || !(inf->valuedouble >= 1 && inf->valuedouble <= 100) ||
                inf->valuedouble != (double)(int)inf->valuedouble) {
                cJSON_Delete(o);
                return reply_error(a, 400, "begin_visit's infusion must be a whole number 1..100");
            }
            cJSON_AddNumberToObject(o, "infusion", inf->valueint);
        }
        if (patient[0])
            cJSON_AddStringToObject(o, "patient", patient);
        snprintf(with_patient, sizeof with_patient, "%s%s%s", visit,
                 patient[0] ? " patient " : "", patient);
        detail = with_patient;
    } else if (!strcmp(a->name, "phase")) {
        const char *phase = str_member(a->body, "phase");
        if (!phase || phase_from_name(phase) < 0) {
            cJSON_Delete(o);
            return reply_error(a, 400, "phase must be idle, intake, infusion, recovery or "
                               "discharge");
        }
        cJSON_AddStringToObject(o, "cmd", "phase");
        cJSON_AddStringToObject(o, "phase", phase);
        detail = phase;
    } else {
        cJSON_AddStringToObject(o, "cmd", "end_visit");
    }
    status = carry_out(st, a, detail, TOPIC_KIOSK_CMD, o);
    if (status == 200 && !strcmp(a->name, "begin_visit")) {
        /* The course links the visit to its patient from now on (the kiosk also sends the
         * key in each response, which fills it if this write failed). */
        const char *v[3] = { str_member(a->body, "visit"), patient, a->room };
        if (station_with_record(st, record_begun, (void *)v) < 0)
            log_error("%s: visit %s begun, but the course record could not note it; its "
                      "responses will", a->room, v[0]);
    }
    return status;
}

static int act_light(station *st, struct action *a, bool release)
{
    const char *scene = str_member(a->body, "scene");
    char why[96 + ROOMCFG_MAX_SCENES * (HV_NAME_MAX + 2)];
    cJSON *o;
    int known;

    if (a->se->role != ROLE_CHARGE)
        return refuse(st, a, 403, "light overrides are for charge nurses");
    if (!release) {
        size_t n;
        pthread_mutex_lock(&st->lock);
        known = scene && roomcfg_scene(st->clinic, scene) >= 0;
        /* The refusal names the scenes haven.cfg has (the page offers only those). */
        n = (size_t)snprintf(why, sizeof why, "unknown scene '%.32s': %s", scene ? scene : "",
                             st->clinic->lighting.nscenes ? "the clinic's scenes are "
                                                          : "the clinic has no scenes");
        for (int i = 0; i < st->clinic->lighting.nscenes && n < sizeof why; i++)
            n += (size_t)snprintf(why + n, sizeof why - n, "%s%s", i ? ", " : "",
                                  st->clinic->lighting.scenes[i].name);
        pthread_mutex_unlock(&st->lock);
        if (!known)
            return reply_error(a, 400, why);
    }
    o = cJSON_CreateObject();
    if (release)
        cJSON_AddTrueToObject(o, "release");
    else
        cJSON_AddStringToObject(o, "scene", scene);
    return carry_out(st, a, release ? NULL : scene, TOPIC_LIGHTS_SET, o);
}

/* sound: the page of one of this session's streams armed (or silenced) its sound. */
static int act_sound(station *st, struct action *a)
{
    const char *id = str_member(a->body, "stream");
    const cJSON *armed = cJSON_GetObjectItemCaseSensitive(a->body, "armed");
    station_stream *s;

    if (!id || !cJSON_IsBool(armed))
        return reply_error(a, 400, "sound needs stream and armed (true or false)");
    pthread_mutex_lock(&st->lock);
    for (s = st->streams; s; s = s->next)
        if (!strcmp(s->id, id) && !strcmp(s->token, a->se->token))
            break;
    if (s && s->armed != (bool)cJSON_IsTrue(armed)) {
        s->armed = cJSON_IsTrue(armed);
        st->narmed += s->armed ? 1 : -1;
        set_boards(st);
    }
    pthread_mutex_unlock(&st->lock);
    if (!s)
        return reply_error(a, 404, "no such event stream of this session");
    return ok_reply(a);
}

int station_action(station *st, const struct session *se, const char *body, size_t len,
                   const struct http_client *cl, char *reply, size_t replylen)
{
    struct action a = { .se = se, .cl = cl, .reply = reply, .replylen = replylen };
    cJSON *o = cJSON_ParseWithLength(body, len);
    int status;

    pthread_mutex_lock(&st->lock);
    sessions_touch(st->sessions, se->token, clock_mono_ms());
    pthread_mutex_unlock(&st->lock);
    a.body = o;
    a.name = cJSON_IsObject(o) ? str_member(o, "action") : NULL;
    a.room = cJSON_IsObject(o) ? str_member(o, "room") : NULL;
    if (!a.name) {
        status = reply_error(&a, 400, "the body must be a JSON object with an action");
    } else if (!strcmp(a.name, "touch")) {
        status = ok_reply(&a);
    } else if (!strcmp(a.name, "sound")) {
        status = act_sound(st, &a);
    } else if (strcmp(a.name, "ack") && strcmp(a.name, "clear") && strcmp(a.name, "begin_visit") &&
               strcmp(a.name, "phase") && strcmp(a.name, "end_visit") && strcmp(a.name, "light") &&
               strcmp(a.name, "light_release")) {
        a.name = NULL;
        status = reply_error(&a, 400, "unknown action");
    } else if (!a.room || !room_known(st, a.room)) {
        status = reply_error(&a, a.room ? 404 : 400, a.room ? "no such room" : "room is required");
    } else if (!strcmp(a.name, "ack") || !strcmp(a.name, "clear")) {
        status = act_call(st, &a, !strcmp(a.name, "clear"));
    } else if (!strcmp(a.name, "light") || !strcmp(a.name, "light_release")) {
        status = act_light(st, &a, !strcmp(a.name, "light_release"));
    } else {
        status = act_visit(st, &a);
    }
    cJSON_Delete(o);
    return status;
}

/* ---- the report ----------------------------------------------------------------------------- */

station_report *station_report_start(station *st, const struct session *se, int days,
                                     const struct http_client *cl, void *conn, int *status)
{
    struct report_params p;
    station_report *r = NULL;
    char topic[HV_TOPIC_MAX], *json;
    int64_t now = clock_now_ms();

    if (se->role != ROLE_CHARGE) {
        *status = 403;
        do_audit(st, se, NULL, "report", NULL, NULL, "charge nurses only", cl, false, NULL);
        return NULL;
    }
    pthread_mutex_lock(&st->lock);
    *status = 503;
    if (st->stopping || !st->connected || st->ncontrollers == 0 || st->nreports >= REPORTS_MAX)
        goto out;
    r = calloc(1, sizeof *r);
    if (!r)
        goto out;
    strcpy(r->id, "r-");
    random_hex(r->id + 2, 8);
    p = (struct report_params){ now - (int64_t)days * 86400000, now, st->cfg.day_starts_min,
                                st->cfg.night_starts_min,
                                { st->cfg.target_s[PRIO_ROUTINE], st->cfg.target_s[PRIO_ASSIST],
                                  st->cfg.target_s[PRIO_URGENT] } };
    json = report_request_json(r->id, &p);
    if (!json) {
        free(r);
        r = NULL;
        goto out;
    }
    topic_build_login(topic, sizeof topic, st->cfg.clinic.prefix, TOPIC_REPORT_REQUEST,
                      st->controllers[0], st->login);
    mqtt_session_publish(st->mqtt, topic, json, strlen(json), 1, false, NULL);
    free(json);
    r->conn = conn;
    r->deadline_mono = clock_mono_ms() + REPORT_WAIT_MS;
    r->next = st->reports;
    if (st->reports)
        st->reports->prev = r;
    st->reports = r;
    st->nreports++;
    r->suspended = true;   /* under the lock: a quick reply cannot resume it before */
    st->waker.suspend(conn);
out:
    pthread_mutex_unlock(&st->lock);
    if (r)
        do_audit(st, se, NULL, "report", NULL, NULL, st->controllers[0], cl, true, NULL);
    return r;
}

int station_report_result(station *st, station_report *r, char **json)
{
    int status;

    pthread_mutex_lock(&st->lock);
    status = r->status;
    if (status == 200) {
        *json = r->reply;
        r->reply = NULL;
    } else if (status == 0 && !r->suspended) {
        r->suspended = true;
        st->waker.suspend(r->conn);
    }
    pthread_mutex_unlock(&st->lock);
    return status;
}

void station_report_free(station *st, station_report *r)
{
    pthread_mutex_lock(&st->lock);
    if (r->prev)
        r->prev->next = r->next;
    else
        st->reports = r->next;
    if (r->next)
        r->next->prev = r->prev;
    st->nreports--;
    pthread_mutex_unlock(&st->lock);
    free(r->reply);
    free(r);
}

/* Settles r with status (st->lock held) and wakes its connection. */
void station_report_done(station *st, station_report *r, int status)
{
    r->status = status;
    if (r->suspended) {
        r->suspended = false;
        st->waker.resume(r->conn);
    }
}

static void report_reply(station *st, const char *controller, const char *payload, size_t len)
{
    bool matched = false;

    pthread_mutex_lock(&st->lock);
    for (station_report *r = st->reports; r; r = r->next) {
        if (r->status == 0 && report_reply_check(payload, len, r->id) == 0) {
            r->reply = malloc(len + 1);
            if (r->reply) {
                memcpy(r->reply, payload, len);
                r->reply[len] = '\0';
            }
            station_report_done(st, r, r->reply ? 200 : 503);
            matched = true;
        }
    }
    pthread_mutex_unlock(&st->lock);
    if (!matched)
        log_limited(&bad_input_rl, LOG_WARN, "report reply from %s: not one we are waiting "
                    "for, or malformed", controller);
}

void station_report_deadlines(station *st, int64_t mono)
{
    for (station_report *r = st->reports; r; r = r->next)
        if (r->status == 0 && mono >= r->deadline_mono) {
            log_warn("report request %s: no reply from controller in %d s", r->id,
                     REPORT_WAIT_MS / 1000);
            station_report_done(st, r, 504);
        }
}

/* ---- MQTT (main thread) ------------------------------------------------------------------- */

void station_publish_status(station *st)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddTrueToObject(o, "online");
    pthread_mutex_lock(&st->lock);
    cJSON_AddNumberToObject(o, "boards", st->nstreams);
    cJSON_AddNumberToObject(o, "armed", st->narmed);
    st->status_dirty = false;
    pthread_mutex_unlock(&st->lock);
    char ts[HV_TS_LEN];
    clock_format_rfc3339(clock_now_ms(), ts);  /* the contract's times are RFC 3339 */
    cJSON_AddStringToObject(o, "ts", ts);
    publish_json_obj(st, st->status_topic, o, true);
}

/* Keeps the list of controllers whose retained status says online (st->lock held). */
static void note_controller(station *st, const char *id, const char *payload, size_t len)
{
    cJSON *o = len ? cJSON_ParseWithLength(payload, len) : NULL;
    bool online = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "online"));
    int i;

    cJSON_Delete(o);
    for (i = 0; i < st->ncontrollers && strcmp(st->controllers[i], id); i++)
        ;
    if (online && i == st->ncontrollers && i < CONTROLLERS_MAX)
        snprintf(st->controllers[st->ncontrollers++], HV_NAME_MAX, "%s", id);
    else if (!online && i < st->ncontrollers)
        memmove(st->controllers[i], st->controllers[i + 1],
                (size_t)(st->ncontrollers - i - 1) * HV_NAME_MAX), st->ncontrollers--;
}

/*
 * A response or check-in for the record (ingest.h), from a configured room only;
 * what was stored (or kept aside) is confirmed on P/room/R/kiosk/stored, QoS 1,
 * not retained, so the kiosk's outbox lets go of it.
 */
static void ingest_message(station *st, enum topic_kind kind, const char *room,
                           const char *payload, size_t len)
{
    const char *what = kind == TOPIC_KIOSK_RESPONSE ? "response" : "check-in";
    struct ingest_result res;
    char topic[HV_TOPIC_MAX];
    cJSON *o;

    if (!room_known(st, room)) {
        log_limited(&bad_input_rl, LOG_WARN, "dropped a %s from room %s: not a room in the "
                    "config", what, room);
        return;
    }
    pthread_mutex_lock(&st->record_lock);
    ingest_take(st->ingest, st->record, room,
                kind == TOPIC_KIOSK_RESPONSE ? INGEST_RESPONSE : INGEST_CHECKIN, payload, len,
                clock_now_ms(), clock_mono_ms(), &res);
    pthread_mutex_unlock(&st->record_lock);
    if (!res.confirm ||
        topic_build(topic, sizeof topic, st->cfg.clinic.prefix, TOPIC_KIOSK_STORED, room))
        return;
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", res.id);
    if (res.refused)
        cJSON_AddStringToObject(o, "refused", res.refused);
    publish_json_obj(st, topic, o, false);
}

/* Each safety call (or safety concern of a call) someone acknowledged, for the course. */
static int store_safety_acks(record *r, int dropout_days, void *ctx)
{
    const struct contract_call *c = ctx;
    int rc = 0;

    (void)dropout_days;
    if (c->reason == REASON_SAFETY)
        rc = record_safety_acknowledged(r, c->id, c->room, c->raised_ms, c->by, c->acknowledged_ms);
    for (int i = 0; rc >= 0 && i < c->nconcerns; i++)
        if (c->concerns[i].reason == REASON_SAFETY && c->concerns[i].raised_ms > 0)
            rc = record_safety_acknowledged(r, c->id, c->room, c->concerns[i].raised_ms, c->by,
                                            c->acknowledged_ms);
    return rc;
}

/* P/call/R acknowledged (by a name): who came to a safety call goes in the course record. */
static void note_safety_ack(station *st, const char *room, const char *payload, size_t len)
{
    struct contract_call *c;
    const char *why = NULL;

    if (!len || !(c = malloc(sizeof *c)))
        return;
    if (contract_decode_call_state(payload, len, c, &why) == 0 && c->state == CALL_ACKNOWLEDGED &&
        c->by[0] && !strcmp(c->room, room) &&
        station_with_record(st, store_safety_acks, c) < 0)
        log_limited(&bad_input_rl, LOG_WARN, "record: who acknowledged call %s was not kept",
                    c->id);
    free(c);
}

static void handle_message(station *st, const struct mqtt_event *ev)
{
    char name[HV_NAME_MAX], login[HV_LOGIN_MAX];
    enum topic_kind kind = topic_parse_login(st->cfg.clinic.prefix, ev->topic, name, login);
    int64_t now = clock_now_ms();
    int rc = 0;

    if (!ev->payload) {
        log_limited(&bad_input_rl, LOG_WARN, "dropped message on %s: larger than 64 KiB",
                    ev->topic);
        return;
    }
    if (kind == TOPIC_REPORT_REPLY) {
        if (!strcmp(login, st->login))
            report_reply(st, name, ev->payload, ev->len);
        return;
    }
    if (kind == TOPIC_KIOSK_RESPONSE || kind == TOPIC_KIOSK_CHECKIN) {
        ingest_message(st, kind, name, ev->payload, ev->len);
        return;
    }
    if (kind == TOPIC_CALL)
        note_safety_ack(st, name, ev->payload, ev->len);
    pthread_mutex_lock(&st->lock);
    switch (kind) {
    case TOPIC_CALL:
        rc = board_on_call(st->board, name, ev->payload, ev->len, now);
        break;
    case TOPIC_KIOSK_STATUS:
        rc = board_on_kiosk_status(st->board, name, ev->payload, ev->len, now);
        break;
    case TOPIC_LIGHTS_STATE:
        rc = board_on_lights_state(st->board, name, ev->payload, ev->len, now);
        break;
    case TOPIC_CONTROLLER:
        note_controller(st, name, ev->payload, ev->len);
        rc = board_on_controller_status(st->board, name, ev->payload, ev->len, now);
        break;
    default:
        rc = HV_EINVAL;
        break;
    }
    pthread_mutex_unlock(&st->lock);
    if (rc)
        log_limited(&bad_input_rl, LOG_WARN, "dropped message on %s: %s", ev->topic,
                    kind == TOPIC_UNKNOWN ? "not a topic the station follows"
                                          : "malformed, or a room not in the config");
}

void station_handle_events(station *st)
{
    struct mqtt_event ev;
    int64_t seq;

    pthread_mutex_lock(&st->lock);
    seq = board_seq(st->board);
    pthread_mutex_unlock(&st->lock);
    while (mqtt_session_next(st->mqtt, &ev)) {
        switch (ev.kind) {
        case MQTT_EV_MESSAGE:
            handle_message(st, &ev);
            break;
        case MQTT_EV_CONNECTED:
            log_info("connected to the broker as %s", st->login);
            pthread_mutex_lock(&st->lock);
            st->connected = true;
            board_on_link(st->board, true);
            pthread_mutex_unlock(&st->lock);
            station_publish_status(st);
            break;
        case MQTT_EV_DISCONNECTED:
            log_warn("lost the broker; reconnecting (actions are refused meanwhile)");
            pthread_mutex_lock(&st->lock);
            st->connected = false;
            board_on_link(st->board, false);
            pthread_mutex_unlock(&st->lock);
            break;
        case MQTT_EV_PUBLISHED:
            break;
        }
        mqtt_event_free(&ev);
    }
    pthread_mutex_lock(&st->lock);
    if (board_seq(st->board) != seq)
        station_wake_streams(st);
    pthread_mutex_unlock(&st->lock);
}

int station_subscribe_all(station *st)
{
    static const enum topic_kind kinds[] = {
        TOPIC_CALL, TOPIC_KIOSK_STATUS, TOPIC_LIGHTS_STATE, TOPIC_CONTROLLER,
        TOPIC_KIOSK_RESPONSE, TOPIC_KIOSK_CHECKIN,   /* for the record (ingest.h) */
    };
    char filter[HV_TOPIC_MAX];

    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (topic_build(filter, sizeof filter, st->cfg.clinic.prefix, kinds[i], "+") ||
            mqtt_session_subscribe(st->mqtt, filter, 1))
            return HV_EMQTT;
    if (topic_build_login(filter, sizeof filter, st->cfg.clinic.prefix, TOPIC_REPORT_REPLY, "+",
                          st->login) ||
        mqtt_session_subscribe(st->mqtt, filter, 1))
        return HV_EMQTT;
    return 0;
}

/* ---- the course record ---------------------------------------------------------------- */

char *station_questionnaire(station *st, const char *id)
{
    char *json;

    pthread_mutex_lock(&st->record_lock);
    json = forms_questionnaire(st->forms, id);
    pthread_mutex_unlock(&st->record_lock);
    return json;
}

int station_with_record(station *st, int (*fn)(record *r, int dropout_days, void *ctx),
                        void *ctx)
{
    int rc;

    pthread_mutex_lock(&st->record_lock);
    rc = fn(st->record, st->dropout_days, ctx);
    pthread_mutex_unlock(&st->record_lock);
    return rc;
}

