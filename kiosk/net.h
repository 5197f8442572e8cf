/*
 * net.h - the kiosk's MQTT link, on a thread of its own.
 *
 * SDL waits for input in the main thread; libmosquitto waits on its socket.
 * The network thread runs the MQTT session (common/mqtt.c) and hands every
 * event to the main loop as an SDL user event (SDL_PushEvent is thread-safe);
 * publishing from the main thread is safe because the session is marked
 * threaded, so libmosquitto locks its queues and wakes its loop.
 */
#ifndef HAVEN_KIOSK_NET_H
#define HAVEN_KIOSK_NET_H

#include "mqtt.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct net;

/* The SDL event type of network events; event.user.data1 is a struct mqtt_event * (owned). */
extern uint32_t net_event_type;

/* At most per_s messages a second on topic reach the main loop; the rest are dropped
 * (counted, logged once a second). */
struct net_limit {
    const char *topic;         /* NULL: no limit (copied by net_start) */
    int per_s;
};

/*
 * Starts the session and the thread.  subs are the topics to subscribe to
 * (re-subscribed after every reconnect); limit may be NULL.  NULL on failure (logged).
 */
struct net *net_start(const struct mqtt_opts *opts, const char *const *subs, size_t nsubs,
                      const struct net_limit *limit);

/* Publishes at QoS 1 from the main thread; *mid for the PUBLISHED event. 0 or HV_EMQTT. */
int net_publish(struct net *n, const char *topic, const char *payload, bool retain, int *mid);

/* Says goodbye (retained offline status), stops the thread, frees. */
void net_stop(struct net *n, const char *status_topic, const char *offline_payload);

/* Frees an event received from the queue (and the event itself). */
void net_event_free(struct mqtt_event *ev);

#endif
