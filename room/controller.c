/*
 * controller.c - the room controller's main loop.
 *
 * One thread.  Each turn: page whatever escalation is due, let the MQTT
 * session run until the next deadline (at most 1 s, so signals are seen
 * promptly), then handle what arrived.  Replies are published from here, never
 * from inside libmosquitto's callbacks, so they are written to the socket at
 * once (with TCP_NODELAY) instead of waiting for the next loop.
 */
#include "controller.h"
#include "calllog.h"
#include "calls.h"
#include "clock.h"
#include "contract.h"
#include "err.h"
#include "lights.h"
#include "log.h"
#include "mqtt.h"
#include "reportreply.h"
#include "roomcfg.h"
#include "signals.h"
#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Pages in flight: MQTT message id -> call log event, to mark them delivered. */
#define INFLIGHT_MAX 4096

struct controller {
    struct room_config cfg;
    calllog *log;
    calls *calls;
    lights *lights;
    watch *watch;                    /* the nurse station's boards (stations { }) */
    struct report_limiter reports;   /* report requests: 1/s per station login */
    report_worker *reporter;         /* answers them off the loop (reportreply.h) */
    mqtt_session *mqtt;
    char status_topic[HV_TOPIC_MAX];
    struct mqtt_pending pending[INFLIGHT_MAX];
    struct mqtt_inflight inflight;   /* over pending[] */
    int64_t wall_minus_mono;         /* clock_now_ms - clock_mono_ms, to see the wall clock step */
    const struct controller_args *args;  /* --broker and --db, applied again on reload */
};

/* Bad input is logged through one limiter: a flood costs a few lines, not the disk. */
static struct log_ratelimit bad_input_rl = LOG_RATELIMIT_INIT(20, 1000);
/* Messages over a room's input budget: one line a second, the rest counted. */
static struct log_ratelimit flood_rl = LOG_RATELIMIT_INIT(1, 1000);

/* ---- outgoing: struct calls_ops over MQTT ------------------------------------ */

static void publish_json(struct controller *ctl, const char *topic, char *json, bool retain,
                         int *mid)
{
    if (!json) {
        log_error("out of memory encoding a message for %s", topic);
        return;
    }
    mqtt_session_publish(ctl->mqtt, topic, json, strlen(json), 1, retain, mid);
    free(json);
}

static void op_publish_call(void *ctx, const char *room, const struct contract_call *call)
{
    struct controller *ctl = ctx;
    char topic[HV_TOPIC_MAX];

    topic_build(topic, sizeof topic, ctl->cfg.prefix, TOPIC_CALL, room);
    if (call)
        publish_json(ctl, topic, contract_encode_call(call), true, NULL);
    else
        mqtt_session_publish(ctl->mqtt, topic, NULL, 0, 1, true, NULL);
    if (ctl->lights)  /* after the call: the nurse's page is never behind a lamp */
        lights_call(ctl->lights, room, call, clock_mono_ms());
}

static void op_page(void *ctx, const char *group, const struct contract_call *call,
                    int64_t seq)
{
    struct controller *ctl = ctx;
    char topic[HV_TOPIC_MAX];
    int mid = -1;

    topic_build(topic, sizeof topic, ctl->cfg.prefix, TOPIC_PAGE, group);
    publish_json(ctl, topic, contract_encode_call(call), false, &mid);
    if (seq > 0 && mid >= 0)  /* broker gone for long: the oldest stays undelivered */
        mqtt_inflight_add(&ctl->inflight, mid, seq);
}

static const struct calls_ops mqtt_ops = { op_publish_call, op_page };

/* ---- outgoing: struct lights_ops over MQTT ----------------------------------------- */

static void op_light_command(void *ctx, const char *topic, const char *payload)
{
    struct controller *ctl = ctx;

    mqtt_session_publish(ctl->mqtt, topic, payload, strlen(payload), 1, false, NULL);
}

static void op_lights_state(void *ctx, const char *room, const char *scene,
                            const struct light_level *lv)
{
    struct controller *ctl = ctx;
    char topic[HV_TOPIC_MAX];

    topic_build(topic, sizeof topic, ctl->cfg.prefix, TOPIC_LIGHTS_STATE, room);
    publish_json(ctl, topic, contract_encode_lights_state(scene, lv->brightness, lv->kelvin,
                                                          clock_now_ms()), true, NULL);
}

static const struct lights_ops mqtt_lights_ops = { op_light_command, op_lights_state };

/* ---- outgoing: struct watch_ops over MQTT and the call log ---------------------- */

/* The call log's key for the outage already paged (watch.h: no second page on restart). */
#define WATCH_MARK "stations.paged_since"

static void op_no_board_page(void *ctx, const char *group, int64_t since_ms)
{
    struct controller *ctl = ctx;
    char topic[HV_TOPIC_MAX];

    topic_build(topic, sizeof topic, ctl->cfg.prefix, TOPIC_PAGE, group);
    publish_json(ctl, topic, contract_encode_no_board_page(since_ms), false, NULL);
}

static void op_watch_save(void *ctx, int64_t paged_since_ms)
{
    struct controller *ctl = ctx;

    if (calllog_set_mark(ctl->log, WATCH_MARK, paged_since_ms) != 0)
        log_warn("stations: cannot note the outage in the call log: a restart may page again");
}

static const struct watch_ops mqtt_watch_ops = { op_no_board_page, op_watch_save };

static void page_delivered(struct controller *ctl, int mid)
{
    int64_t seq = mqtt_inflight_take(&ctl->inflight, mid);

    if (seq > 0)
        calllog_delivered(ctl->log, seq);
}

static void publish_status(struct controller *ctl)
{
    const char **rooms = calloc(ctl->cfg.nrooms, sizeof *rooms);

    if (!rooms)
        return;
    for (size_t i = 0; i < ctl->cfg.nrooms; i++)
        rooms[i] = ctl->cfg.rooms[i].id;
    publish_json(ctl, ctl->status_topic,
                 contract_encode_controller_status(true, rooms, ctl->cfg.nrooms,
                                                   clock_now_ms()), true, NULL);
    free(rooms);
}

/* ---- incoming ------------------------------------------------------------------- */

static void bad_input(const char *topic, const char *why)
{
    log_limited(&bad_input_rl, LOG_WARN, "dropped message on %s: %s", topic, why);
}

/* Report requests over a login's 1/s: one line a second, the rest counted. */
static struct log_ratelimit report_rl = LOG_RATELIMIT_INIT(1, 1000);

/* P/report/C/request/<login>: answered on P/report/C/reply/<login>. */
static void handle_report_request(struct controller *ctl, const struct mqtt_event *ev,
                                  const char *ctl_id, const char *login)
{
    struct msg_report_request rq;
    const char *why = NULL;
    int64_t t0 = clock_mono_ms();

    if (strcmp(ctl_id, ctl->cfg.controller_id) != 0 || !ev->payload) {
        bad_input(ev->topic, ev->payload ? "a report request for another controller"
                                         : "payload larger than 64 KiB");
        return;
    }
    if (!report_admit(&ctl->reports, login, t0)) {
        log_limited(&report_rl, LOG_WARN, "report request from %s dropped: more than one a "
                    "second", login);
        return;
    }
    if (contract_decode_report_request(ev->payload, ev->len, &rq, &why) != 0) {
        bad_input(ev->topic, why);
        return;
    }
    if (report_worker_submit(ctl->reporter, &rq, login) != 0)
        log_limited(&report_rl, LOG_WARN, "report request %s from %s dropped: %d reports "
                    "already waiting", rq.id, login, REPORT_QUEUE_MAX);
}

/* Publishes the reports the worker has finished, each to the station that asked. */
static void publish_reports(struct controller *ctl)
{
    struct report_done d;
    char topic[HV_TOPIC_MAX];

    while (report_worker_take(ctl->reporter, &d)) {
        if (!d.json)
            continue;   /* the worker logged why */
        if (topic_build_login(topic, sizeof topic, ctl->cfg.prefix, TOPIC_REPORT_REPLY,
                              ctl->cfg.controller_id, d.login) != 0) {
            free(d.json);
            continue;
        }
        log_info("report %s for %s: %zu bytes in %lld ms", d.id, d.login, strlen(d.json),
                 (long long)d.ms);
        publish_json(ctl, topic, d.json, false, NULL);
    }
}

/* P/station/S/status (retained): what the watch needs; a deleted one is as good as offline. */
static void handle_station_status(struct controller *ctl, const struct mqtt_event *ev,
                                  const char *login, int64_t now)
{
    struct msg_station_status m;
    const char *why = NULL;

    if (!ev->payload)
        bad_input(ev->topic, "payload larger than 64 KiB");
    else if (ev->len == 0)
        watch_station(ctl->watch, login, NULL, now);
    else if (contract_decode_station_status(ev->payload, ev->len, &m, &why) == 0)
        watch_station(ctl->watch, login, &m, now);
    else
        bad_input(ev->topic, why);
}

/* Decodes and dispatches one message from a kiosk, a nurse or a nurse station. */
static void handle_message(struct controller *ctl, const struct mqtt_event *ev)
{
    char room[HV_NAME_MAX], login[HV_LOGIN_MAX];
    enum topic_kind kind = topic_parse_login(ctl->cfg.prefix, ev->topic, room, login);
    const char *why = NULL;
    int64_t now = clock_now_ms();

    if (kind == TOPIC_STATION_STATUS) {   /* room is the station's login */
        handle_station_status(ctl, ev, room, now);
        return;
    }
    if (kind == TOPIC_REPORT_REQUEST) {   /* room is the controller's id */
        handle_report_request(ctl, ev, room, login);
        return;
    }
    if (kind == TOPIC_UNKNOWN || !roomcfg_room(&ctl->cfg, room)) {
        bad_input(ev->topic, "not a topic or room of this controller");
        return;
    }
    if (!ev->payload) {
        bad_input(ev->topic, "payload larger than 64 KiB");
        return;
    }
    if (kind == TOPIC_KIOSK_STATUS && ev->len == 0)
        return;  /* a retained status being deleted: nothing to supervise */
    if (kind != TOPIC_KIOSK_STATUS && kind != TOPIC_CALL_ACK && kind != TOPIC_CALL_CLEAR &&
        !calls_admit(ctl->calls, room, now)) {
        /* Over the room's budget: dropped before it is decoded or written anywhere.
         * Statuses are exempt (the last one is the truth, and they write only on a
         * change), and so are the nurses' acks and clears. */
        log_limited(&flood_rl, LOG_WARN, "%s: over its input budget of %d messages/s: "
                    "dropped %s (%llu dropped so far)", room, ctl->cfg.room_input_rate,
                    ev->topic, (unsigned long long)calls_stats(ctl->calls)->dropped);
        return;
    }
    if (kind == TOPIC_LIGHTS_SET && ev->retained) {
        bad_input(ev->topic, "a retained override would replay on every restart; send it "
                  "without the retain flag");
        return;
    }
    switch (kind) {
    case TOPIC_KIOSK_CALL: {
        struct msg_call m;
        if (contract_decode_call(ev->payload, ev->len, &m, &why) == 0)
            calls_raise(ctl->calls, room, &m, now);
        break;
    }
    case TOPIC_CALL_ACK:
    case TOPIC_CALL_CLEAR:
    case TOPIC_KIOSK_CLEAR: {
        struct msg_ack m;
        if (contract_decode_ack(ev->payload, ev->len, &m, &why) != 0)
            break;
        if (kind != TOPIC_KIOSK_CLEAR)  /* who: from the login, not the payload (P2) */
            contract_ack_sender(&m, login);
        if (kind == TOPIC_CALL_ACK)
            calls_acknowledge(ctl->calls, room, &m, now);
        else
            calls_clear(ctl->calls, room, &m, kind == TOPIC_KIOSK_CLEAR, now);
        break;
    }
    case TOPIC_KIOSK_STATUS: {
        struct msg_status m;
        if (contract_decode_status(ev->payload, ev->len, &m, &why) != 0)
            break;
        calls_kiosk_status(ctl->calls, room, &m, now);
        if (m.has_phase)
            lights_phase(ctl->lights, room, m.phase, clock_mono_ms());
        break;
    }
    case TOPIC_LIGHTS_SET: {
        struct msg_lights_set m;
        if (contract_decode_lights_set(ev->payload, ev->len, &m, &why) == 0)
            lights_override(ctl->lights, room, &m, clock_mono_ms(), &why);
        break;
    }
    case TOPIC_KIOSK_THEME: {
        struct msg_kiosk_theme m;
        if (ev->len == 0)  /* the retained theme withdrawn */
            lights_theme(ctl->lights, room, NULL, clock_mono_ms());
        else if (contract_decode_kiosk_theme(ev->payload, ev->len, &m, &why) == 0)
            lights_theme(ctl->lights, room, &m, clock_mono_ms());
        break;
    }
    default:
        why = "topic not handled by the controller";
        break;
    }
    if (why)
        bad_input(ev->topic, why);
}

static void handle_events(struct controller *ctl)
{
    struct mqtt_event ev;

    while (mqtt_session_next(ctl->mqtt, &ev)) {
        switch (ev.kind) {
        case MQTT_EV_MESSAGE:
            handle_message(ctl, &ev);
            break;
        case MQTT_EV_CONNECTED:
            log_info("connected to the broker; %zu open call(s)", calls_open_count(ctl->calls));
            /* Every room's call before the status (DESIGN P4): a kiosk that resends its
             * call on seeing us online has seen whether we already have it. */
            lights_connected(ctl->lights, clock_mono_ms());  /* before the calls: domes */
            calls_link_up(ctl->calls, clock_now_ms());
            calls_publish_all(ctl->calls);
            publish_status(ctl);
            watch_link_up(ctl->watch, clock_now_ms());
            break;
        case MQTT_EV_DISCONNECTED:
            log_warn("lost the broker; reconnecting (calls are kept)");
            break;
        case MQTT_EV_PUBLISHED:
            page_delivered(ctl, ev.mid);
            break;
        }
        mqtt_event_free(&ev);
    }
}

/* ---- set-up, reload, loop -------------------------------------------------------- */

static int subscribe_all(struct controller *ctl)
{
    static const enum topic_kind kinds[] = {
        TOPIC_KIOSK_CALL, TOPIC_KIOSK_CLEAR, TOPIC_KIOSK_STATUS, TOPIC_CALL_ACK, TOPIC_CALL_CLEAR,
        TOPIC_LIGHTS_SET, TOPIC_KIOSK_THEME,
    };
    char filter[HV_TOPIC_MAX];

    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (topic_build(filter, sizeof filter, ctl->cfg.prefix, kinds[i], "+") ||
            mqtt_session_subscribe(ctl->mqtt, filter, 1))
            return HV_EMQTT;
    }
    /* The nurse station (issue 13): its boards (followed only with stations { watch }, but
     * subscribed always, so a reload can turn the watch on) and its report requests to us. */
    if (topic_build(filter, sizeof filter, ctl->cfg.prefix, TOPIC_STATION_STATUS, "+") ||
        mqtt_session_subscribe(ctl->mqtt, filter, 1) ||
        topic_build(filter, sizeof filter, ctl->cfg.prefix, TOPIC_REPORT_REQUEST,
                    ctl->cfg.controller_id) ||
        mqtt_session_subscribe(ctl->mqtt, filter, 1))
        return HV_EMQTT;
    return 0;
}

/* --broker HOST:PORT and --db FILE over what the file says.  0, or 2 (told on stderr). */
static int apply_overrides(struct room_config *c, const struct controller_args *args)
{
    if (args->broker && mqtt_parse_hostport(args->broker, c->broker.host, sizeof c->broker.host,
                                            &c->broker.port)) {
        fprintf(stderr, "haven-room: --broker must be HOST:PORT, not '%s'\n", args->broker);
        return 2;
    }
    if (args->db_path && (size_t)snprintf(c->database, sizeof c->database, "%s",
                                          args->db_path) >= sizeof c->database) {
        fprintf(stderr, "haven-room: --db path too long\n");
        return 2;
    }
    return 0;
}

/* SIGHUP: a new configuration, or the old one kept if the new one is wrong. */
static void reload(struct controller *ctl)
{
    struct room_config next;
    struct cfg_error err;

    if (roomcfg_load(ctl->cfg.path, &next, &err) != 0) {
        log_error("reload refused, keeping the running configuration: %s", err.text);
        return;
    }
    /* What only a restart may change (the command line's overrides too) stays; each change
     * the file made to it is logged.  The overrides were checked at start. */
    apply_overrides(&next, ctl->args);
    roomcfg_keep_restart(&next, &ctl->cfg);
    roomcfg_free(&ctl->cfg);
    ctl->cfg = next;
    calls_set_config(ctl->calls, &ctl->cfg, clock_now_ms());
    watch_set_config(ctl->watch, &ctl->cfg, clock_now_ms());
    if (lights_set_config(ctl->lights, &ctl->cfg) != 0)
        log_error("reload: out of memory for the lights; they keep the old rooms");
    if (mqtt_session_connected(ctl->mqtt))
        publish_status(ctl);
    log_info("configuration reloaded: %zu room(s), %d group(s); %zu open call(s) kept; "
             "%d light scene(s), applied at each room's next change", ctl->cfg.nrooms,
             ctl->cfg.ngroups, calls_open_count(ctl->calls), ctl->cfg.lighting.nscenes);
}

static int start_session(struct controller *ctl)
{
    char client_id[HV_NAME_MAX + 16];
    static const char offline[] = "{\"online\":false}";
    struct mqtt_opts o = mqtt_opts_from_broker(&ctl->cfg.broker);

    o.client_id = client_id;
    o.persistent = true;
    o.will_topic = ctl->status_topic;
    o.will_payload = offline;

    snprintf(client_id, sizeof client_id, "haven-room-%s", ctl->cfg.controller_id);
    topic_build(ctl->status_topic, sizeof ctl->status_topic, ctl->cfg.prefix, TOPIC_CONTROLLER,
                ctl->cfg.controller_id);
    ctl->mqtt = mqtt_session_new(&o);
    return ctl->mqtt && subscribe_all(ctl) == 0 ? 0 : HV_EMQTT;
}

/* timeout_ms, or less if due (a deadline on the same clock as now) comes sooner. */
static int until_due(int timeout_ms, int64_t due, int64_t now)
{
    if (due - now >= timeout_ms)
        return timeout_ms;
    return due <= now ? 0 : (int)(due - now);
}

/*
 * Tells the calls when the broker last spoke to us, on their wall clock.  A wall
 * clock that stepped (NTP at boot) would make every kiosk look silent, or none:
 * then every kiosk counts as heard now, as after a reconnect.
 */
static void link_heard(struct controller *ctl, int64_t now, int64_t mono)
{
    int64_t offset = now - mono, step = offset - ctl->wall_minus_mono;

    if (step > 1000 || step < -1000) {
        log_info("the wall clock stepped by %lld ms: kiosks' heartbeats timed from now",
                 (long long)step);
        calls_link_up(ctl->calls, now);
    }
    ctl->wall_minus_mono = offset;
    calls_link_heard(ctl->calls, now - (mono - mqtt_session_last_rx_ms(ctl->mqtt)));
}

static void loop(struct controller *ctl)
{
    int64_t last_checkpoint = clock_mono_ms();

    while (!signals_stop_requested()) {
        int64_t now = clock_now_ms(), mono = clock_mono_ms();  /* calls: wall; lights: mono */
        int timeout = 1000;

        if (signals_take_reload())
            reload(ctl);
        link_heard(ctl, now, mono);
        calls_tick(ctl->calls, now);
        lights_tick(ctl->lights, mono);
        watch_tick(ctl->watch, now);
        timeout = until_due(timeout, calls_next_due(ctl->calls), now);
        timeout = until_due(timeout, watch_next_due(ctl->watch), now);
        timeout = until_due(timeout, lights_next_due(ctl->lights), mono);
        if (report_worker_pending(ctl->reporter))   /* a report being computed: look often */
            timeout = timeout < 20 ? timeout : 20;
        mqtt_session_run(ctl->mqtt, timeout);
        handle_events(ctl);
        publish_reports(ctl);
        if (clock_mono_ms() - last_checkpoint >= 1000) {  /* after the pages went out */
            calllog_checkpoint(ctl->log);
            log_limited_flush(&bad_input_rl, LOG_WARN, "dropped messages");
            log_limited_flush(&flood_rl, LOG_WARN, "messages over a room's input budget");
            log_limited_flush(&report_rl, LOG_WARN, "report requests over 1/s");
            last_checkpoint = clock_mono_ms();
        }
    }
}

/*
 * One controller per call log (issue 12 item 14): two on one clinic took the
 * broker session from each other 19 times in 8 s.  An exclusive flock on
 * "<db>.lock", held for the controller's life and taken before it connects,
 * makes a second one refuse to start and leaves the first serving.  Returns the
 * lock's descriptor, or -1 with the reason on stderr.
 */
static int lock_call_log(const char *db)
{
    char path[PATH_MAX + 8], pid[32] = "";
    int fd;

    snprintf(path, sizeof path, "%s.lock", db);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "haven-room: call log lock %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        ssize_t n = err == EWOULDBLOCK ? pread(fd, pid, sizeof pid - 1, 0) : -1;

        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        if (err == EWOULDBLOCK)
            fprintf(stderr, "haven-room: another haven-room (pid %s) already serves call log %s;"
                    " refusing to start (stop it first, or give this one its own --db)\n",
                    pid[0] ? pid : "?", db);
        else
            fprintf(stderr, "haven-room: call log lock %s: %s\n", path, strerror(err));
        close(fd);
        return -1;
    }
    if (ftruncate(fd, 0) == 0) {
        int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        if (pwrite(fd, pid, (size_t)len, 0) != len)
            log_warn("call log lock %s: cannot write our pid", path);
    }
    return fd;
}

/* The watch, with the outage the call log says was paged before a restart. */
static watch *new_watch(struct controller *ctl)
{
    int64_t paged = 0;

    if (calllog_get_mark(ctl->log, WATCH_MARK, &paged) != 0)
        paged = 0;
    return watch_new(&ctl->cfg, &mqtt_watch_ops, ctl, paged, clock_now_ms());
}

int controller_run(const struct controller_args *args)
{
    static struct controller ctl;  /* large (the in-flight table): not on the stack */
    struct cfg_error err;
    int status = 1, lock_fd = -1;

    log_set_tag("room");
    /* The call log, its WAL and its lock hold patient-linked data: 0600 whatever the
     * umask we were started with (issue 12 item 2), not only under systemd. */
    umask(077);
    if (roomcfg_load(args->config_path, &ctl.cfg, &err) != 0) {
        fprintf(stderr, "haven-room: %s\n", err.text);
        return 2;
    }
    ctl.inflight = (struct mqtt_inflight){ ctl.pending, INFLIGHT_MAX, 0 };
    ctl.wall_minus_mono = clock_now_ms() - clock_mono_ms();
    ctl.args = args;
    if ((status = apply_overrides(&ctl.cfg, args)) != 0)
        goto out_cfg;
    status = 1;
    if ((lock_fd = lock_call_log(ctl.cfg.database)) < 0)
        goto out_cfg;
    signals_install();
    ctl.log = calllog_open(ctl.cfg.database);
    if (!ctl.log)
        goto out_cfg;
    ctl.lights = lights_new(&ctl.cfg, &mqtt_lights_ops, &ctl);
    ctl.calls = calls_new(&ctl.cfg, ctl.log, &mqtt_ops, &ctl);
    ctl.watch = new_watch(&ctl);
    ctl.reporter = report_worker_new(ctl.cfg.database, ctl.cfg.controller_id);
    if (!ctl.lights || !ctl.calls || !ctl.watch || !ctl.reporter || start_session(&ctl) != 0)
        goto out_calls;
    calls_restore(ctl.calls, clock_now_ms());
    log_info("controller %s serving %zu room(s) via %s:%d, call log %s", ctl.cfg.controller_id,
             ctl.cfg.nrooms, ctl.cfg.broker.host, ctl.cfg.broker.port, ctl.cfg.database);
    loop(&ctl);
    log_info("stopping; %zu open call(s) stay in the call log", calls_open_count(ctl.calls));
    mqtt_session_close(ctl.mqtt, ctl.status_topic, "{\"online\":false}", 2000);
    status = 0;
out_calls:
    mqtt_session_free(ctl.mqtt);
    calls_free(ctl.calls);
    watch_free(ctl.watch);
    report_worker_free(ctl.reporter);
    lights_free(ctl.lights);
    calllog_close(ctl.log);
out_cfg:
    if (lock_fd >= 0)
        close(lock_fd);
    roomcfg_free(&ctl.cfg);
    return status;
}
