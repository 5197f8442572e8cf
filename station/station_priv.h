/*
 * station_priv.h - what the station's own files share (station.c: streams,
 * logins, actions, the report, MQTT; run.c: start-up, signals, reload and the
 * loop): the struct behind the station handle and the helpers across them.
 * Nothing outside station.c and run.c includes it; http.c sees station.h alone.
 */
#ifndef HAVEN_STATION_PRIV_H
#define HAVEN_STATION_PRIV_H

#include "station.h"
#include "audit.h"
#include "board.h"
#include "forms.h"
#include "ingest.h"
#include "log.h"
#include "mqtt.h"
#include "users.h"

#include <pthread.h>
#include <stdbool.h>

#define STREAMS_MAX 300
#define RING_EVENTS 4096
#define REPORTS_MAX 16
#define REPORT_WAIT_MS 5000
#define CONTROLLERS_MAX 16
#define STATUS_MIN_MS 1000      /* the retained status at most once a second */
#define LOOP_MAX_MS 250         /* the main loop looks at the HTTP side's requests this often */
#define STREAM_ID_LEN 17
#define SNAP_SHARE_MS 250       /* streams opening this close together share one snapshot */
#define SNAP_MMAP_MIN (64 * 1024) /* allocations this large are mappings of their own */
#define STREAM_BUF_KEEP 4096    /* a drained stream keeps a buffer up to this size */

/* A text several streams send (the snapshot): reference-counted, never changed. */
struct shared {
    int refs;
    size_t len;                 /* of s, without the snapshot's closing brace */
    char *s;                    /* board_snapshot_json's text */
};

struct station_stream {
    station_stream *prev, *next;
    char id[STREAM_ID_LEN];
    char token[SESSION_TOKEN_LEN];
    void *conn;
    bool suspended;             /* its connection is suspended (only then may it be resumed) */
    bool armed;                 /* the page has sound on */
    int64_t last_seq;           /* the last board event it was given */
    unsigned hb_gen;            /* the heartbeat tick it last sent */
    char *buf;                  /* bytes to send: buf[off..len), with big spliced in at big_at */
    size_t off, len, cap;
    struct shared *big;         /* the snapshot, shared with other streams, or NULL */
    size_t big_at, big_off;     /* where in buf it goes, and how much of it is sent */
    bool oom;
};

struct station_report {
    station_report *prev, *next;
    char id[24];
    void *conn;
    bool suspended;
    int64_t deadline_mono;
    int status;                 /* 0 waiting, 200 answered, 504 timed out, 503 stopping */
    char *reply;
};

struct station {
    struct station_config cfg;          /* cfg.clinic unused after start: see clinic */
    struct room_config *clinic;         /* the board's rooms (swapped on reload) */
    char config_path[PATH_MAX];
    const struct station_args *args;
    char login[HV_LOGIN_MAX];
    char status_topic[HV_TOPIC_MAX];

    pthread_mutex_t lock;               /* everything below to 'users' */
    board *board;
    sessions *sessions;
    mqtt_session *mqtt;
    bool connected;
    bool stopping;
    struct station_waker waker;
    station_stream *streams;
    int nstreams, narmed;
    unsigned hb_gen;
    struct shared *snap;                /* the last snapshot built, for streams opening with it */
    int64_t snap_seq, snap_mono;
    bool status_dirty;
    station_report *reports;
    int nreports;
    char controllers[CONTROLLERS_MAX][HV_NAME_MAX];
    int ncontrollers;

    char *snap_extra;                   /* ,"scenes":[..],"chains":{..} for every snapshot */

    pthread_rwlock_t users_lock;
    users *users;

    pthread_mutex_t audit_lock;
    audit *audit;

    pthread_mutex_t record_lock;        /* the course store, dropout_days and ingest */
    record *record;
    int dropout_days;
    ingest *ingest;                     /* the kiosks' responses and check-ins (ingest.h) */
    forms *forms;                       /* the questionnaires as FHIR resources (forms.h) */
};

/* ---- across station.c and run.c ---- */

/* Every suspended stream is resumed (there is news, a heartbeat, or the station stops). */
void station_wake_streams(station *st);
void station_shared_unref(struct shared *sh);
/* The scenes and escalation chains every snapshot carries (malloc'd), or NULL. */
char *station_snapshot_extra(const struct room_config *c);
/* Warns about accounts whose nurse group is not one of the clinic's. */
void station_check_groups(const char *path, const users *u, const struct room_config *c);
void station_report_done(station *st, station_report *r, int status);
void station_report_deadlines(station *st, int64_t mono);
/* The station's retained status (boards, armed). */
void station_publish_status(station *st);
/* Takes what the MQTT session has received. */
void station_handle_events(station *st);
int station_subscribe_all(station *st);
/* The rate-limited warnings' counts, once their second is over (the main loop). */
void station_flush_logs(void);


#endif
