/*
 * net.c - the kiosk's MQTT link on its own thread, speaking to the main loop
 * through SDL user events.
 *
 * Inbound commands are bounded here, before they reach the main loop: a flood on
 * kiosk/cmd (10,000 station commands) would otherwise queue in front of the
 * patient's touches and of the call they make.  Beyond the limit per second they
 * are dropped, counted, and the count logged once a second.
 */
#include "net.h"
#include "clock.h"
#include "log.h"

#include <SDL2/SDL.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

uint32_t net_event_type = (uint32_t)-1;

struct net {
    mqtt_session *session;
    pthread_t thread;
    atomic_bool stop;
    struct net_limit limit;     /* inbound messages on limit.topic per second */
    int64_t window_ms;          /* start of the current second */
    int in_window;              /* limited messages let through in it */
    long dropped;               /* dropped in it */
    long dropped_total;
};

/* The last second's drops, in one line, once the second is over. */
static void limit_roll(struct net *n, int64_t now)
{
    if (now - n->window_ms < 1000)
        return;
    if (n->dropped)
        log_warn("net: dropped %ld message(s) on %s in the last second, over the limit of "
                 "%d/s (%ld in all)", n->dropped, n->limit.topic, n->limit.per_s,
                 n->dropped_total);
    n->window_ms = now;
    n->in_window = 0;
    n->dropped = 0;
}

/* True if ev is a limited message over this second's limit (then counted). */
static bool over_limit(struct net *n, const struct mqtt_event *ev)
{
    if (!n->limit.topic || ev->kind != MQTT_EV_MESSAGE || !ev->topic ||
        strcmp(ev->topic, n->limit.topic) != 0)
        return false;
    limit_roll(n, clock_mono_ms());
    if (n->in_window < n->limit.per_s) {
        n->in_window++;
        return false;
    }
    n->dropped++;
    n->dropped_total++;
    return true;
}

/* Moves every queued session event into SDL's queue. */
static void forward_events(struct net *n)
{
    struct mqtt_event ev;

    while (mqtt_session_next(n->session, &ev)) {
        struct mqtt_event *copy;
        SDL_Event e;

        if (over_limit(n, &ev)) {
            mqtt_event_free(&ev);
            continue;
        }
        copy = malloc(sizeof *copy);
        if (!copy) {
            mqtt_event_free(&ev);
            log_error("net: out of memory, event dropped");
            continue;
        }
        *copy = ev;
        memset(&e, 0, sizeof e);
        e.type = net_event_type;
        e.user.data1 = copy;
        if (SDL_PushEvent(&e) != 1) {
            log_error("net: SDL event queue full, event dropped");
            net_event_free(copy);
        }
    }
}

static void *net_main(void *arg)
{
    struct net *n = arg;

    while (!atomic_load(&n->stop)) {
        /* A publish from the main thread wakes libmosquitto's loop at once: the
         * timeout only bounds how long a shutdown waits (5 wake-ups/s at 200 ms). */
        mqtt_session_run(n->session, 1000);
        forward_events(n);
        if (n->limit.topic)
            limit_roll(n, clock_mono_ms());
    }
    return NULL;
}

struct net *net_start(const struct mqtt_opts *opts, const char *const *subs, size_t nsubs,
                      const struct net_limit *limit)
{
    struct net *n = calloc(1, sizeof *n);
    struct mqtt_opts o = *opts;

    if (!n)
        return NULL;
    if (limit && limit->topic) {
        n->limit.topic = strdup(limit->topic);
        n->limit.per_s = limit->per_s;
        n->window_ms = clock_mono_ms();
        if (!n->limit.topic)
            goto fail;
    }
    if (net_event_type == (uint32_t)-1)
        net_event_type = SDL_RegisterEvents(1);
    o.threaded = true;
    n->session = mqtt_session_new(&o);
    if (!n->session)
        goto fail;
    for (size_t i = 0; i < nsubs; i++)
        if (mqtt_session_subscribe(n->session, subs[i], 1) != 0)
            goto fail_session;
    if (pthread_create(&n->thread, NULL, net_main, n) != 0)
        goto fail_session;
    return n;

fail_session:
    mqtt_session_free(n->session);
fail:
    free((char *)n->limit.topic);
    free(n);
    log_error("net: cannot start the MQTT link");
    return NULL;
}

/* Frees the events the thread forwarded that the main loop never took: SDL_Quit
 * drops queued events without freeing their data (ASan found one leaked at stop). */
static void drain_events(void)
{
    SDL_Event e;

    while (SDL_PeepEvents(&e, 1, SDL_GETEVENT, net_event_type, net_event_type) == 1)
        net_event_free(e.user.data1);
}

int net_publish(struct net *n, const char *topic, const char *payload, bool retain, int *mid)
{
    return mqtt_session_publish(n->session, topic, payload, strlen(payload), 1, retain, mid);
}

void net_stop(struct net *n, const char *status_topic, const char *offline_payload)
{
    if (!n)
        return;
    atomic_store(&n->stop, true);
    pthread_join(n->thread, NULL);
    drain_events();
    /* Single-threaded again: say goodbye (a clean disconnect sends no will). */
    mqtt_session_close(n->session, status_topic, offline_payload, 2000);
    mqtt_session_free(n->session);
    free((char *)n->limit.topic);
    free(n);
}

void net_event_free(struct mqtt_event *ev)
{
    if (!ev)
        return;
    mqtt_event_free(ev);
    free(ev);
}
