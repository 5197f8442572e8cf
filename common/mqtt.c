/*
 * mqtt.c - the MQTT session: libmosquitto, an event queue, reconnect with backoff,
 * and a liveness probe.
 *
 * The probe (DESIGN P9): a link can die without a FIN or RST (the broker frozen,
 * a cable pulled, a DROP rule).  libmosquitto 2.0.11 notices only when a PINGREQ
 * it sent after `keepalive` of silence has had no answer for another `keepalive`
 * (up to 2 x keepalive).  So once nothing has been received for keepalive/2 we
 * send an UNSUBSCRIBE of a filter nobody uses and expect its UNSUBACK; any packet
 * received counts as life.  No answer within another keepalive/2: the socket is
 * shut down (no DISCONNECT, so the broker sends our will when it can), the
 * session reports MQTT_EV_DISCONNECTED and reconnects with the usual backoff.
 * Detection therefore takes keepalive (+ one loop turn) after the last packet.
 * libmosquitto's own keepalive does not fight it: the probe is outgoing traffic,
 * which postpones libmosquitto's PINGREQ, and the probe always decides first.
 * A connect that has had no CONNACK within keepalive is given up the same way.
 */
#include "mqtt.h"
#include "cfg.h"
#include "clock.h"
#include "err.h"
#include "log.h"

#include <errno.h>
#include <mosquitto.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 5000
#define PROBE_FILTER "haven/$probe/unused"   /* never subscribed: UNSUBACK is all it gets */

struct sub {
    char *filter;
    int qos;
    struct sub *next;
};

struct ev_node {
    struct mqtt_event ev;
    struct ev_node *next;
};

struct mqtt_session {
    struct mosquitto *mosq;
    char *host;
    int port;
    int keepalive;
    bool connected;          /* CONNACK accepted and link up */
    bool connecting;         /* a connect is under way */
    int64_t next_attempt_ms; /* monotonic time of the next reconnect */
    int backoff_ms;
    int64_t last_rx_ms;      /* monotonic time a packet last came from the broker */
    int64_t connect_ms;      /* when the current connect attempt started */
    int64_t probe_ms;        /* when the outstanding probe was sent; 0: none */
    struct sub *subs;
    struct ev_node *head, *tail;
};

static int lib_refs;
static struct log_ratelimit connect_rl = LOG_RATELIMIT_INIT(3, 30000);

/* ---- event queue ------------------------------------------------------- */

static void ev_push(mqtt_session *s, const struct mqtt_event *ev)
{
    struct ev_node *n = calloc(1, sizeof *n);

    if (!n) {
        log_error("mqtt: out of memory, event dropped");
        free(ev->topic);
        free(ev->payload);
        return;
    }
    n->ev = *ev;
    if (s->tail)
        s->tail->next = n;
    else
        s->head = n;
    s->tail = n;
}

bool mqtt_session_next(mqtt_session *s, struct mqtt_event *ev)
{
    struct ev_node *n = s->head;

    if (!n)
        return false;
    s->head = n->next;
    if (!s->head)
        s->tail = NULL;
    *ev = n->ev;
    free(n);
    return true;
}

void mqtt_event_free(struct mqtt_event *ev)
{
    free(ev->topic);
    free(ev->payload);
    ev->topic = ev->payload = NULL;
}

/* ---- libmosquitto callbacks: record, never act ------------------------- */

static void on_connect(struct mosquitto *mosq, void *ud, int rc)
{
    mqtt_session *s = ud;
    struct mqtt_event ev = { .kind = MQTT_EV_CONNECTED };

    s->connecting = false;
    s->last_rx_ms = clock_mono_ms();
    s->probe_ms = 0;
    if (rc != 0) {
        log_warn("mqtt: broker %s:%d refused the connection: %s", s->host, s->port,
                 mosquitto_connack_string(rc));
        return;  /* on_disconnect follows; the backoff applies */
    }
    s->connected = true;
    s->backoff_ms = BACKOFF_MIN_MS;
    /* Subscribing here is what makes a reconnect resubscribe (mosquitto's own
     * examples do the same); the packets go out when the loop next writes. */
    for (struct sub *sub = s->subs; sub; sub = sub->next)
        mosquitto_subscribe(mosq, NULL, sub->filter, sub->qos);
    ev_push(s, &ev);
}

/*
 * The link is down, or never came up: reports MQTT_EV_DISCONNECTED once if we
 * were connected, and schedules the next attempt after the current backoff,
 * doubling it (up to BACKOFF_MAX_MS) when grow is set.
 */
static void link_down(mqtt_session *s, bool grow)
{
    if (s->connected) {
        struct mqtt_event ev = { .kind = MQTT_EV_DISCONNECTED };
        ev_push(s, &ev);
    }
    s->connected = false;
    s->connecting = false;
    s->next_attempt_ms = clock_mono_ms() + s->backoff_ms;
    if (grow)
        s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
}

static void on_disconnect(struct mosquitto *mosq, void *ud, int rc)
{
    link_down(ud, false);
}

/* Any packet from the broker: the link is alive, an outstanding probe is answered. */
static void heard(mqtt_session *s)
{
    s->last_rx_ms = clock_mono_ms();
    s->probe_ms = 0;
}

static void on_message(struct mosquitto *mosq, void *ud, const struct mosquitto_message *m)
{
    mqtt_session *s = ud;
    struct mqtt_event ev = { .kind = MQTT_EV_MESSAGE, .retained = m->retain };

    heard(s);

    ev.len = m->payloadlen > 0 ? (size_t)m->payloadlen : 0;
    ev.topic = strdup(m->topic);
    if (ev.len <= HV_PAYLOAD_MAX) {
        ev.payload = malloc(ev.len + 1);
        if (ev.payload) {
            if (ev.len)
                memcpy(ev.payload, m->payload, ev.len);
            ev.payload[ev.len] = '\0';
        }
    }
    if (!ev.topic || (ev.len <= HV_PAYLOAD_MAX && !ev.payload)) {
        log_error("mqtt: out of memory, message on %s dropped", m->topic);
        free(ev.topic);
        free(ev.payload);
        return;
    }
    ev_push(s, &ev);
}

static void on_publish(struct mosquitto *mosq, void *ud, int mid)
{
    struct mqtt_event ev = { .kind = MQTT_EV_PUBLISHED, .mid = mid };

    heard(ud);
    ev_push(ud, &ev);
}

static void on_subscribe(struct mosquitto *mosq, void *ud, int mid, int n, const int *granted)
{
    heard(ud);
}

static void on_unsubscribe(struct mosquitto *mosq, void *ud, int mid)
{
    heard(ud);  /* the probe's UNSUBACK, usually */
}

/* ---- lifecycle ---------------------------------------------------------- */

static void start_connect(mqtt_session *s, bool first)
{
    int rc = first ? mosquitto_connect_async(s->mosq, s->host, s->port, s->keepalive)
                   : mosquitto_reconnect_async(s->mosq);

    if (rc == MOSQ_ERR_SUCCESS) {
        s->connecting = true;
        s->connect_ms = clock_mono_ms();
        s->probe_ms = 0;
        return;
    }
    log_limited(&connect_rl, LOG_WARN,
                "mqtt: cannot reach broker %s:%d: %s; retrying", s->host, s->port,
                rc == MOSQ_ERR_ERRNO ? "connection failed" : mosquitto_strerror(rc));
    link_down(s, true);
}

/*
 * TLS with the clinic CA, and the device certificate when there is one.  The
 * broker's certificate must name the host we connect to (libmosquitto checks
 * it; make-certs puts the names in).  0, or -1 with the reason logged.
 */
static int set_tls(struct mosquitto *m, const struct mqtt_opts *o)
{
    const char *cert = o->certfile && o->certfile[0] ? o->certfile : NULL;
    const char *key = o->keyfile && o->keyfile[0] ? o->keyfile : NULL;
    int rc = mosquitto_tls_set(m, o->cafile, NULL, cert, key, NULL);

    if (rc != MOSQ_ERR_SUCCESS) {
        log_error("mqtt: TLS files %s%s%s%s%s: %s", o->cafile, cert ? ", " : "", cert ? cert : "",
                  key ? ", " : "", key ? key : "", mosquitto_strerror(rc));
        return -1;
    }
    return 0;
}

mqtt_session *mqtt_session_new(const struct mqtt_opts *o)
{
    mqtt_session *s;

    if (!o || !o->client_id || !o->host || o->port <= 0 || o->port > 65535)
        return NULL;
    if (lib_refs++ == 0)
        mosquitto_lib_init();
    s = calloc(1, sizeof *s);
    if (!s)
        goto fail_alloc;
    s->host = strdup(o->host);
    if (!s->host)
        goto fail_host;
    s->port = o->port;
    s->keepalive = o->keepalive > 0 ? o->keepalive : 10;
    s->backoff_ms = BACKOFF_MIN_MS;
    s->mosq = mosquitto_new(o->client_id, !o->persistent, s);
    if (!s->mosq)
        goto fail_mosq;
    mosquitto_int_option(s->mosq, MOSQ_OPT_TCP_NODELAY, 1);
    if (o->threaded)  /* libmosquitto then locks its queues and wakes its loop on publish */
        mosquitto_threaded_set(s->mosq, true);
    mosquitto_int_option(s->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    if (o->username && mosquitto_username_pw_set(s->mosq, o->username, o->password))
        goto fail_opts;
    if (o->cafile && o->cafile[0] && set_tls(s->mosq, o))
        goto fail_opts;
    if (o->will_topic && mosquitto_will_set(s->mosq, o->will_topic,
                                            (int)strlen(o->will_payload), o->will_payload,
                                            1, true))
        goto fail_opts;
    mosquitto_connect_callback_set(s->mosq, on_connect);
    mosquitto_disconnect_callback_set(s->mosq, on_disconnect);
    mosquitto_message_callback_set(s->mosq, on_message);
    mosquitto_publish_callback_set(s->mosq, on_publish);
    mosquitto_subscribe_callback_set(s->mosq, on_subscribe);
    mosquitto_unsubscribe_callback_set(s->mosq, on_unsubscribe);
    start_connect(s, true);
    return s;

fail_opts:
    mosquitto_destroy(s->mosq);
fail_mosq:
    free(s->host);
fail_host:
    free(s);
fail_alloc:
    if (--lib_refs == 0)
        mosquitto_lib_cleanup();
    log_error("mqtt: cannot create a session for %s:%d", o->host, o->port);
    return NULL;
}

void mqtt_session_free(mqtt_session *s)
{
    struct mqtt_event ev;

    if (!s)
        return;
    while (mqtt_session_next(s, &ev))
        mqtt_event_free(&ev);
    while (s->subs) {
        struct sub *next = s->subs->next;
        free(s->subs->filter);
        free(s->subs);
        s->subs = next;
    }
    mosquitto_destroy(s->mosq);
    free(s->host);
    free(s);
    if (--lib_refs == 0)
        mosquitto_lib_cleanup();
}

int mqtt_session_subscribe(mqtt_session *s, const char *filter, int qos)
{
    struct sub *sub;

    if (mosquitto_sub_topic_check(filter) != MOSQ_ERR_SUCCESS)
        return HV_EINVAL;
    sub = calloc(1, sizeof *sub);
    if (!sub || !(sub->filter = strdup(filter))) {
        free(sub);
        return HV_ENOMEM;
    }
    sub->qos = qos;
    sub->next = s->subs;
    s->subs = sub;
    if (s->connected)
        mosquitto_subscribe(s->mosq, NULL, filter, qos);
    return 0;
}

int mqtt_session_publish(mqtt_session *s, const char *topic, const void *payload,
                         size_t len, int qos, bool retain, int *mid)
{
    int rc;

    if (len > HV_PAYLOAD_MAX)
        return HV_ETOOBIG;
    rc = mosquitto_publish(s->mosq, mid, topic, (int)len, payload, qos, retain);
    /* NO_CONN with QoS > 0: libmosquitto keeps the message and sends it on reconnect. */
    if (rc == MOSQ_ERR_SUCCESS || (rc == MOSQ_ERR_NO_CONN && qos > 0))
        return 0;
    log_error("mqtt: publish to %s failed: %s", topic, mosquitto_strerror(rc));
    return HV_EMQTT;
}

bool mqtt_session_connected(const mqtt_session *s)
{
    return s->connected;
}

int64_t mqtt_session_last_rx_ms(const mqtt_session *s)
{
    return s->last_rx_ms;
}

/* ---- liveness probe ----------------------------------------------------- */

/*
 * Declares the link dead: shuts the socket down without a DISCONNECT (so the
 * broker will publish our will), reports the loss and schedules the reconnect.
 */
static void link_dead(mqtt_session *s, const char *why, int64_t silent_ms)
{
    int fd = mosquitto_socket(s->mosq);

    log_warn("mqtt: broker %s:%d silent for %lld ms (%s); dropping the link", s->host, s->port,
             (long long)silent_ms, why);
    if (fd >= 0)
        shutdown(fd, SHUT_RDWR);  /* libmosquitto sees EOF on its next read and closes */
    link_down(s, true);
}

/*
 * Runs the probe's clock at now: sends the probe after keepalive/2 of
 * silence, gives the link up after another keepalive/2 without an answer (or a
 * connect after keepalive without a CONNACK).  Returns the ms until the probe
 * next needs a look, to bound the caller's wait.
 */
static int64_t probe_tick(mqtt_session *s, int64_t now)
{
    int64_t half = (int64_t)s->keepalive * 500;

    if (s->connecting && !s->connected) {
        if (now - s->connect_ms >= 2 * half) {
            link_dead(s, "no CONNACK", now - s->connect_ms);
            return half;
        }
        return s->connect_ms + 2 * half - now;
    }
    if (!s->connected)
        return half;
    if (s->probe_ms && now - s->probe_ms >= half) {
        link_dead(s, "no answer to the probe", now - s->last_rx_ms);
        return half;
    }
    if (!s->probe_ms && now - s->last_rx_ms >= half) {
        if (mosquitto_unsubscribe(s->mosq, NULL, PROBE_FILTER) == MOSQ_ERR_SUCCESS)
            s->probe_ms = now;
    }
    return s->probe_ms ? s->probe_ms + half - now : s->last_rx_ms + half - now;
}

void mqtt_session_run(mqtt_session *s, int timeout_ms)
{
    int64_t now = clock_mono_ms();

    if (!s->connected && !s->connecting) {
        if (now < s->next_attempt_ms) {
            int64_t wait = s->next_attempt_ms - now;
            poll(NULL, 0, (int)(wait < timeout_ms ? wait : timeout_ms));
            return;
        }
        start_connect(s, false);
        if (!s->connecting)
            return;
    }
    int64_t probe_in = probe_tick(s, now);
    if (!s->connected && !s->connecting)
        return;  /* the probe gave the link up */
    if (probe_in < 1)
        probe_in = 1;
    int rc = mosquitto_loop(s->mosq, probe_in < timeout_ms ? (int)probe_in : timeout_ms, 1);
    /* The wait itself failed but libmosquitto kept its socket (it closes it on every read
     * or write error): the link is not known to be broken, and the probe gives it up
     * within keepalive if it is.  Seen: EINTR from the controller's SIGHUP reload, and
     * under valgrind EFAULT from the same interrupted pselect; taken for a lost link, a
     * reload re-sent the lamps their state and the nurses an undelivered page. */
    if (rc == MOSQ_ERR_ERRNO && mosquitto_socket(s->mosq) >= 0)
        return;
    /* The link broke without a DISCONNECT from the broker (it died, or the TCP
     * connect failed): libmosquitto may not have called on_disconnect. */
    if (rc != MOSQ_ERR_SUCCESS && (s->connected || s->connecting))
        link_down(s, true);
}

void mqtt_session_close(mqtt_session *s, const char *topic, const char *payload,
                        int timeout_ms)
{
    int64_t deadline = clock_mono_ms() + timeout_ms;
    int mid = -1;
    bool acked = topic == NULL;

    if (topic && s->connected)
        mqtt_session_publish(s, topic, payload, strlen(payload), 1, true, &mid);
    while (s->connected && !acked && clock_mono_ms() < deadline) {
        struct mqtt_event ev;
        mosquitto_loop(s->mosq, 50, 1);
        while (mqtt_session_next(s, &ev)) {
            if (ev.kind == MQTT_EV_PUBLISHED && ev.mid == mid)
                acked = true;
            mqtt_event_free(&ev);
        }
    }
    if (s->connected) {
        mosquitto_disconnect(s->mosq);
        mosquitto_loop(s->mosq, 50, 1);
    }
    s->connected = false;
}

/* ---- publishes in flight ------------------------------------------------------------ */

void mqtt_inflight_add(struct mqtt_inflight *f, int mid, int64_t seq)
{
    if (f->cap <= 0)
        return;
    if (f->n == f->cap) {
        memmove(f->slots, f->slots + 1, (size_t)(f->cap - 1) * sizeof *f->slots);
        f->n--;
    }
    f->slots[f->n].mid = mid;
    f->slots[f->n].seq = seq;
    f->n++;
}

int64_t mqtt_inflight_take(struct mqtt_inflight *f, int mid)
{
    for (int i = 0; i < f->n; i++) {
        int64_t seq = f->slots[i].seq;
        if (f->slots[i].mid != mid)
            continue;
        memmove(f->slots + i, f->slots + i + 1, (size_t)(f->n - i - 1) * sizeof *f->slots);
        f->n--;
        return seq;
    }
    return 0;
}

bool mqtt_inflight_has(const struct mqtt_inflight *f, int64_t seq)
{
    for (int i = 0; i < f->n; i++)
        if (f->slots[i].seq == seq)
            return true;
    return false;
}

struct mqtt_opts mqtt_opts_from_broker(const struct cfg_broker *b)
{
    return (struct mqtt_opts){
        .host = b->host, .port = b->port, .keepalive = b->keepalive,
        .username = b->username[0] ? b->username : NULL,
        .password = b->password[0] ? b->password : NULL,
        .cafile = b->cafile, .certfile = b->certfile, .keyfile = b->keyfile,
    };
}

int mqtt_parse_hostport(const char *text, char *host, size_t hostlen, int *port)
{
    const char *colon = text ? strrchr(text, ':') : NULL;
    size_t n = colon ? (size_t)(colon - text) : (text ? strlen(text) : 0);

    if (!text || n == 0 || n >= hostlen)
        return HV_EINVAL;
    if (colon) {
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (*end || end == colon + 1 || p <= 0 || p > 65535)
            return HV_EINVAL;
        *port = (int)p;
    }
    memcpy(host, text, n);
    host[n] = '\0';
    return 0;
}
