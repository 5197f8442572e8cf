/*
 * mqtt.h - one MQTT session to the broker, run from the owner's main loop.
 *
 * A thin layer over libmosquitto that keeps what every Haven program needs in
 * one place:
 *   - subscriptions are remembered and re-made in on_connect, so a broker
 *     restart (or a new broker with no session state) loses nothing;
 *   - reconnection with exponential backoff, never blocking the caller for
 *     longer than the timeout it passes to mqtt_session_run();
 *   - TCP_NODELAY, because a controller answers a message with a message and
 *     Nagle would otherwise hold the answer for a delayed ACK;
 *   - callbacks never act: they copy what happened into an event queue that the
 *     owner drains with mqtt_session_next() after mqtt_session_run() returns,
 *     so no code of ours runs inside libmosquitto.
 *
 * QoS 1 publishes made while the link is down stay queued inside libmosquitto
 * and are sent after the reconnect (measured with 2.0.11: the publish returns
 * MOSQ_ERR_NO_CONN, the message still arrives and its PUBACK is reported);
 * mqtt_session_publish() therefore reports such a publish as queued, not lost.
 */
#ifndef HAVEN_MQTT_H
#define HAVEN_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HV_PAYLOAD_MAX 65536   /* the contract's limit for one payload */

struct mqtt_opts {
    const char *client_id;
    const char *host;
    int port;
    int keepalive;             /* seconds; 0 means 10 */
    const char *username;      /* optional */
    const char *password;      /* optional */
    const char *cafile;        /* optional: TLS, the broker's certificate checked against it */
    const char *certfile;      /* optional (with keyfile and cafile): this device's certificate */
    const char *keyfile;
    const char *will_topic;    /* optional: retained QoS 1 will */
    const char *will_payload;
    bool threaded;             /* mqtt_session_publish may be called from another thread
                                  than the one running mqtt_session_run (the kiosk) */
    bool persistent;           /* keep the session (and queued QoS 1 messages) at the
                                  broker while we are away: clean_session = false */
};

struct cfg_broker;

/*
 * The connection part of the options from a program's broker settings
 * (cfg.h): host, port, keepalive, credentials (NULL when empty) and TLS
 * files.  The caller adds client_id, the will, threaded and persistent.  The
 * strings point into b, which must outlive the session's creation.
 */
struct mqtt_opts mqtt_opts_from_broker(const struct cfg_broker *b);

enum mqtt_event_kind {
    MQTT_EV_MESSAGE,       /* topic, payload, len, retained */
    MQTT_EV_CONNECTED,     /* the broker accepted us; subscriptions are being made */
    MQTT_EV_DISCONNECTED,  /* the link went down; reconnecting with backoff */
    MQTT_EV_PUBLISHED,     /* mid: the broker acknowledged a QoS 1 publish */
};

struct mqtt_event {
    enum mqtt_event_kind kind;
    char *topic;           /* owned; NULL unless MQTT_EV_MESSAGE */
    char *payload;         /* owned, NUL-terminated; NULL when oversized */
    size_t len;            /* payload length as received (even when oversized) */
    bool retained;
    int mid;
};

typedef struct mqtt_session mqtt_session;

/* Creates a session and starts connecting (asynchronously). NULL on failure (logged). */
mqtt_session *mqtt_session_new(const struct mqtt_opts *opts);

/* Remembers filter and subscribes now if connected. Returns 0, HV_ENOMEM or HV_EINVAL. */
int mqtt_session_subscribe(mqtt_session *s, const char *filter, int qos);

/*
 * Publishes a message (payload may be NULL with len 0: an empty retained
 * payload clears a retained topic).  *mid, if given, receives the id that a
 * later MQTT_EV_PUBLISHED reports.  Returns 0 when the message was sent or is
 * queued for the reconnect, HV_EMQTT otherwise (logged).
 */
int mqtt_session_publish(mqtt_session *s, const char *topic, const void *payload,
                         size_t len, int qos, bool retain, int *mid);

/*
 * Runs the network for at most timeout_ms: reads and writes, keepalive,
 * reconnects when due.  Events are queued for mqtt_session_next().
 */
void mqtt_session_run(mqtt_session *s, int timeout_ms);

/* Pops the oldest event into *ev (free it with mqtt_event_free). False when none. */
bool mqtt_session_next(mqtt_session *s, struct mqtt_event *ev);
void mqtt_event_free(struct mqtt_event *ev);

bool mqtt_session_connected(const mqtt_session *s);

/*
 * Monotonic ms (clock_mono_ms) at which a packet last came from the broker: the
 * CONNACK, a message, an ack, the probe's answer.  It stops moving while the
 * link is down or the broker is frozen, which is how a caller tells "the broker
 * is alive for us" from "everything went quiet".
 */
int64_t mqtt_session_last_rx_ms(const mqtt_session *s);

/*
 * Clean goodbye: publishes (topic, payload) retained at QoS 1 if topic is not
 * NULL, waits up to timeout_ms for the broker to take it and for queued
 * messages to drain, then disconnects.  A will is not sent on a clean
 * disconnect, which is why the caller says "offline" itself.
 */
void mqtt_session_close(mqtt_session *s, const char *topic, const char *payload,
                        int timeout_ms);

void mqtt_session_free(mqtt_session *s);

/*
 * Publishes awaiting the broker's PUBACK: MQTT message id -> the caller's own
 * record of the message (a call-log event, an outbox row), so that an
 * MQTT_EV_PUBLISHED can be turned into "delivered".  The caller provides the
 * slots: struct mqtt_inflight f = { slots, N, 0 }.
 */
struct mqtt_pending {
    int mid;
    int64_t seq;
};

struct mqtt_inflight {
    struct mqtt_pending *slots;
    int cap;
    int n;                     /* oldest first */
};

/* Records mid -> seq.  When full, the oldest is forgotten (its record stays undelivered). */
void mqtt_inflight_add(struct mqtt_inflight *f, int mid, int64_t seq);
/* Removes mid and returns its seq, or 0 when mid is not in flight. */
int64_t mqtt_inflight_take(struct mqtt_inflight *f, int mid);
/* True if seq is in flight. */
bool mqtt_inflight_has(const struct mqtt_inflight *f, int64_t seq);

/* Parses "HOST:PORT" (or "HOST", port unchanged). Returns 0 or HV_EINVAL. */
int mqtt_parse_hostport(const char *text, char *host, size_t hostlen, int *port);

#endif
