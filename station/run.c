/*
 * run.c - haven-station's start-up and main loop: the configuration and the
 * command line, the state it opens (accounts, audit log, course store, board),
 * the MQTT session, the web server (http.h), signals and SIGHUP's reload.
 * The station's own work is station.c's; this file only starts, runs and
 * stops it, so http.c and station.c never import each other.
 */
#include "station_priv.h"
#include "audit.h"
#include "board.h"
#include "clock.h"
#include "contract.h"
#include "err.h"
#include "http.h"
#include "ingest.h"
#include "log.h"
#include "mqtt.h"
#include "report.h"
#include "signals.h"
#include "users.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- signals, reload, loop ------------------------------------------------------------------ */

static int apply_args(struct station_config *c, const struct station_args *a, struct cfg_error *err)
{
    if (a->listen && stationcfg_set_listen(c, a->listen, err))
        return HV_ECONFIG;
    if (a->broker && mqtt_parse_hostport(a->broker, c->broker.host, sizeof c->broker.host,
                                         &c->broker.port))
        return cfg_fail(err, NULL, "--broker", "'%s' must be HOST:PORT", a->broker);
    if (a->users && (size_t)snprintf(c->users, sizeof c->users, "%s", a->users) >= sizeof c->users)
        return cfg_fail(err, NULL, "--users", "path too long");
    if (a->audit && (size_t)snprintf(c->audit, sizeof c->audit, "%s", a->audit) >= sizeof c->audit)
        return cfg_fail(err, NULL, "--audit", "path too long");
    if (a->record &&
        (size_t)snprintf(c->record, sizeof c->record, "%s", a->record) >= sizeof c->record)
        return cfg_fail(err, NULL, "--record", "path too long");
    return 0;
}

static void reload_users(station *st)
{
    char err[512];
    users *u = users_load(st->cfg.users, err, sizeof err);

    if (!u) {
        log_error("reload: keeping the accounts loaded before: %s", err);
        return;
    }
    station_check_groups(st->cfg.users, u, st->clinic);
    pthread_rwlock_wrlock(&st->users_lock);
    users_free(st->users);
    st->users = u;
    pthread_rwlock_unlock(&st->users_lock);
    log_info("reload: %zu account(s) from %s", users_count(u), st->cfg.users);
}

/* SIGHUP: the rooms, the report's settings and the accounts; sessions and streams stay. */
static void reload(station *st)
{
    forms *forms_new, *forms_old;
    struct station_config next;
    struct cfg_error err;
    struct room_config *clinic, *old;
    char *extra, *old_extra;

    if (stationcfg_load(st->config_path, &next, &err) != 0) {
        log_error("reload refused, keeping the running configuration: %s", err.text);
        reload_users(st);
        return;
    }
    /* The command line wins over the file again, then what only a restart changes
     * stays as it runs (each change logged). */
    (void)apply_args(&next, st->args, &err);   /* it passed at start */
    stationcfg_keep_restart(&next, &st->cfg);
    clinic = malloc(sizeof *clinic);
    if (!clinic) {
        stationcfg_free(&next);
        log_error("reload: out of memory");
        return;
    }
    *clinic = next.clinic;
    if (strcmp(clinic->prefix, st->cfg.clinic.prefix))
        log_warn("reload: a new prefix takes effect at the next restart");
    extra = station_snapshot_extra(clinic);
    pthread_mutex_lock(&st->lock);
    old = st->clinic;
    st->clinic = clinic;
    old_extra = st->snap_extra;
    st->snap_extra = extra ? extra : old_extra;
    board_set_config(st->board, clinic, next.recovery_ms);
    st->cfg.day_starts_min = next.day_starts_min;
    st->cfg.night_starts_min = next.night_starts_min;
    memcpy(st->cfg.target_s, next.target_s, sizeof next.target_s);
    station_wake_streams(st);
    pthread_mutex_unlock(&st->lock);
    forms_new = forms_load(st->config_path);
    pthread_mutex_lock(&st->record_lock);
    st->dropout_days = next.dropout_days;
    forms_old = st->forms;
    st->forms = forms_new;
    pthread_mutex_unlock(&st->record_lock);
    forms_free(forms_old);
    roomcfg_free(old);
    free(old);
    if (extra)
        free(old_extra);
    explicit_bzero(next.broker.password, sizeof next.broker.password);
    log_info("configuration reloaded: %zu room(s)", clinic->nrooms);
    reload_users(st);
}

static void loop(station *st, http_server *http)
{
    int64_t next_tick = clock_mono_ms() + 1000, last_status = 0;

    while (!signals_stop_requested()) {
        int64_t mono = clock_mono_ms();
        int timeout = next_tick - mono < LOOP_MAX_MS ? (int)(next_tick - mono) : LOOP_MAX_MS;
        bool dirty, sweep = false;

        if (signals_take_reload())
            reload(st);
        mqtt_session_run(st->mqtt, timeout < 0 ? 0 : timeout);
        station_handle_events(st);
        mono = clock_mono_ms();
        pthread_mutex_lock(&st->lock);
        if (mono >= next_tick) {   /* the heartbeat every stream sends */
            st->hb_gen++;
            next_tick = mono - next_tick > 1000 ? mono + 1000 : next_tick + 1000;
            station_wake_streams(st);
            sweep = true;
        }
        station_report_deadlines(st, mono);
        dirty = st->status_dirty && st->connected;
        pthread_mutex_unlock(&st->lock);
        if (dirty && mono - last_status >= STATUS_MIN_MS) {
            station_publish_status(st);
            last_status = mono;
        }
        if (sweep)
            http_sweep(http);
        station_flush_logs();
    }
}

/* Every suspended connection is resumed to end (libmicrohttpd stops only without any). */
static void stop_streams(station *st)
{
    pthread_mutex_lock(&st->lock);
    st->stopping = true;
    station_wake_streams(st);
    for (station_report *r = st->reports; r; r = r->next)
        station_report_done(st, r, 503);
    pthread_mutex_unlock(&st->lock);
}

/* Reads a PEM file whole (malloc'd), or NULL with a message on stderr. */
static char *read_pem(const char *path)
{
    FILE *fp = fopen(path, "r");
    char *buf = NULL;
    long n;

    if (!fp) {
        fprintf(stderr, "haven-station: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) > 0 && n < 1 << 20 &&
        fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
        if (fread(buf, 1, (size_t)n, fp) != (size_t)n) {
            free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
        }
    }
    if (!buf)
        fprintf(stderr, "haven-station: %s: cannot read it\n", path);
    fclose(fp);
    return buf;
}

static int start_mqtt(station *st)
{
    static const char offline[] = "{\"online\":false}";
    struct mqtt_opts o = mqtt_opts_from_broker(&st->cfg.broker);

    o.client_id = st->login;
    o.persistent = false;
    o.threaded = true;
    o.will_topic = st->status_topic;
    o.will_payload = offline;

    snprintf(st->login, sizeof st->login, "%s", stationcfg_login(&st->cfg));
    topic_build(st->status_topic, sizeof st->status_topic, st->cfg.clinic.prefix,
                TOPIC_STATION_STATUS, st->login);
    st->mqtt = mqtt_session_new(&o);
    return st->mqtt && station_subscribe_all(st) == 0 ? 0 : HV_EMQTT;
}

/* Loads the config, applies the command line, checks it. 0, or the exit status. */
static int configure(station *st, const struct station_args *a)
{
    struct cfg_error err;

    if (stationcfg_load(a->config, &st->cfg, &err) != 0) {
        fprintf(stderr, "haven-station: %s\n", err.text);
        return 2;
    }
    if (apply_args(&st->cfg, a, &err) || stationcfg_check_listen(&st->cfg, &err)) {
        fprintf(stderr, "haven-station: %s\n", err.text);
        stationcfg_free(&st->cfg);
        return 2;
    }
    snprintf(st->config_path, sizeof st->config_path, "%s", a->config);
    return 0;
}

/* The accounts, the audit log, the board and the sessions. 0, or the exit status. */
static int open_state(station *st)
{
    char err[512];

    st->users = users_load(st->cfg.users, err, sizeof err);
    if (!st->users) {
        fprintf(stderr, "haven-station: %s (add an account with: haven-station user add "
                "--users %s NAME)\n", err, st->cfg.users);
        return 2;
    }
    st->audit = audit_open(st->cfg.audit, err, sizeof err);
    if (!st->audit) {
        fprintf(stderr, "haven-station: audit log: %s\n", err);
        return 1;
    }
    st->record = record_open(st->cfg.record);
    if (!st->record) {
        fprintf(stderr, "haven-station: cannot open the course record %s (the log says why)\n",
                st->cfg.record);
        return 1;
    }
    st->dropout_days = st->cfg.dropout_days;
    st->forms = forms_load(st->config_path);
    st->ingest = ingest_new(INGEST_PER_S, INGEST_BURST);
    if (!st->ingest)
        return 1;
    st->clinic = malloc(sizeof *st->clinic);
    if (!st->clinic)
        return 1;
    *st->clinic = st->cfg.clinic;       /* the board's copy; cfg.clinic keeps prefix etc. */
    st->cfg.clinic.rooms = NULL;        /* owned by st->clinic now */
    st->cfg.clinic.nrooms = 0;
    station_check_groups(st->cfg.users, st->users, st->clinic);
    st->snap_extra = station_snapshot_extra(st->clinic);
    st->board = board_new(st->clinic, st->cfg.recovery_ms, RING_EVENTS);
    st->sessions = sessions_new(st->cfg.board_max_ms, st->cfg.phone_idle_ms);
    return st->board && st->sessions ? 0 : 1;
}

int station_main(const struct station_args *a)
{
    static station st;
    char *cert = NULL, *key = NULL;
    http_server *http = NULL;
    int status;

    log_set_tag("station");
    umask(077);   /* the audit log and the accounts: the station's alone */
    /* A fixed mmap threshold (glibc raises it after the first large free): a 1,000-room
     * snapshot (164 kB) is then always its own mapping, returned when the last stream
     * has sent it, instead of a hole in the HTTP thread's arena that stays resident. */
    mallopt(M_MMAP_THRESHOLD, SNAP_MMAP_MIN);
    pthread_mutex_init(&st.lock, NULL);
    pthread_mutex_init(&st.audit_lock, NULL);
    pthread_mutex_init(&st.record_lock, NULL);
    pthread_rwlock_init(&st.users_lock, NULL);
    st.args = a;
    if ((status = configure(&st, a)) != 0)
        return status;
    if ((status = open_state(&st)) != 0)
        goto out;
    status = 1;
    if (st.cfg.tls_cert[0] && (!(cert = read_pem(st.cfg.tls_cert)) || !(key = read_pem(st.cfg.tls_key))))
        goto out;
    signals_install();
    if (start_mqtt(&st) != 0)
        goto out;
    signals_block(true);
    http = http_start(&(struct http_opts){ st.cfg.listen_host, st.cfg.listen_port, cert, key },
                      &st);
    signals_block(false);
    if (!http)
        goto out;
    log_info("station %s: %zu room(s), %zu account(s), broker %s:%d, audit %s, record %s",
             st.login, st.clinic->nrooms, users_count(st.users), st.cfg.broker.host,
             st.cfg.broker.port, st.cfg.audit, st.cfg.record);
    loop(&st, http);
    log_info("stopping");
    status = 0;
out:
    stop_streams(&st);
    http_stop(http);
    if (st.mqtt)
        mqtt_session_close(st.mqtt, st.status_topic, "{\"online\":false}", 2000);
    if (st.mqtt)
        mqtt_session_free(st.mqtt);
    if (key)
        memset(key, 0, strlen(key));
    free(cert);
    free(key);
    station_shared_unref(st.snap);
    if (st.board)
        board_free(st.board);
    if (st.sessions)
        sessions_free(st.sessions);
    if (st.users)
        users_free(st.users);
    if (st.audit)
        audit_close(st.audit);
    if (st.record)
        record_close(st.record);
    forms_free(st.forms);
    ingest_free(st.ingest);
    if (st.clinic) {
        roomcfg_free(st.clinic);
        free(st.clinic);
    }
    free(st.snap_extra);
    stationcfg_free(&st.cfg);
    return status;
}
