/*
 * test_mqtt.c - common/mqtt.c: the table of publishes in flight and HOST:PORT
 * parsing (no broker), and the liveness probe against a real broker frozen
 * with SIGSTOP (a link that dies without FIN or RST).
 */
#include "check.h"
#include "err.h"
#include "harness.h"
#include "mqtt.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_inflight_take_and_has(void)
{
    struct mqtt_pending slots[4];
    struct mqtt_inflight f = { slots, 4, 0 };

    mqtt_inflight_add(&f, 1, 101);
    mqtt_inflight_add(&f, 2, 102);
    CHECK(mqtt_inflight_has(&f, 101));
    CHECK(!mqtt_inflight_has(&f, 999));
    CHECK_INT_EQ(mqtt_inflight_take(&f, 2), 102);
    CHECK_INT_EQ(mqtt_inflight_take(&f, 2), 0);      /* once only */
    CHECK_INT_EQ(mqtt_inflight_take(&f, 7), 0);      /* never sent */
    CHECK(!mqtt_inflight_has(&f, 102));
    CHECK_INT_EQ(f.n, 1);
}

/* Full: the OLDEST is forgotten, also after removals in the middle. */
static void test_inflight_full_forgets_oldest(void)
{
    struct mqtt_pending slots[3];
    struct mqtt_inflight f = { slots, 3, 0 };

    mqtt_inflight_add(&f, 1, 101);
    mqtt_inflight_add(&f, 2, 102);
    mqtt_inflight_add(&f, 3, 103);
    CHECK_INT_EQ(mqtt_inflight_take(&f, 1), 101);
    mqtt_inflight_add(&f, 4, 104);                    /* 102 103 104 */
    mqtt_inflight_add(&f, 5, 105);                    /* full: 102 goes */
    CHECK(!mqtt_inflight_has(&f, 102));
    CHECK(mqtt_inflight_has(&f, 103));
    CHECK(mqtt_inflight_has(&f, 104));
    CHECK(mqtt_inflight_has(&f, 105));
    CHECK_INT_EQ(f.n, 3);

    struct mqtt_inflight none = { NULL, 0, 0 };       /* no slots: nothing tracked */
    mqtt_inflight_add(&none, 1, 1);
    CHECK_INT_EQ(none.n, 0);
}

static void test_parse_hostport(void)
{
    char host[64];
    int port = 1883;

    CHECK_INT_EQ(mqtt_parse_hostport("127.0.0.1:18830", host, sizeof host, &port), 0);
    CHECK_STR_EQ(host, "127.0.0.1");
    CHECK_INT_EQ(port, 18830);
    CHECK_INT_EQ(mqtt_parse_hostport("broker.local", host, sizeof host, &port), 0);
    CHECK_STR_EQ(host, "broker.local");
    CHECK_INT_EQ(port, 18830);                        /* unchanged */
    CHECK_INT_EQ(mqtt_parse_hostport("h:0", host, sizeof host, &port), HV_EINVAL);
    CHECK_INT_EQ(mqtt_parse_hostport("h:65536", host, sizeof host, &port), HV_EINVAL);
    CHECK_INT_EQ(mqtt_parse_hostport("h:12x", host, sizeof host, &port), HV_EINVAL);
    CHECK_INT_EQ(mqtt_parse_hostport("h:", host, sizeof host, &port), HV_EINVAL);
    CHECK_INT_EQ(mqtt_parse_hostport(":1883", host, sizeof host, &port), HV_EINVAL);
    CHECK_INT_EQ(mqtt_parse_hostport(NULL, host, sizeof host, &port), HV_EINVAL);
}

/* ---- the liveness probe, against a real broker ------------------------------------------- */

#define KEEPALIVE_S 5                               /* libmosquitto's smallest */
#define DETECT_BOUND_MS (KEEPALIVE_S * 1500 + 1000) /* the 1.5 x keepalive + 1 s */

/*
 * Runs the session until an event of kind arrives (true) or timeout_ms pass
 * (false); *disconnects counts every MQTT_EV_DISCONNECTED seen meanwhile.
 */
static bool run_until(mqtt_session *s, enum mqtt_event_kind kind, int timeout_ms,
                      int *disconnects, char *topic_out, size_t topic_len)
{
    int64_t end = hv_now_us() + (int64_t)timeout_ms * 1000;

    while (hv_now_us() < end) {
        struct mqtt_event ev;
        mqtt_session_run(s, 50);
        while (mqtt_session_next(s, &ev)) {
            bool hit = ev.kind == kind;
            if (ev.kind == MQTT_EV_DISCONNECTED && disconnects)
                (*disconnects)++;
            if (hit && topic_out && ev.topic)
                snprintf(topic_out, topic_len, "%s", ev.topic);
            mqtt_event_free(&ev);
            if (hit) {
                while (mqtt_session_next(s, &ev))  /* the rest is not looked at */
                    mqtt_event_free(&ev);
                return true;
            }
        }
    }
    return false;
}

/*
 * The broker frozen (SIGSTOP: the kernel keeps the TCP connection, nothing
 * answers): the session reports the loss within 1.5 x keepalive + 1 s and
 * not before keepalive/2; an idle but live link is never dropped; after
 * SIGCONT it reconnects and its subscription works again.
 */
static void test_probe_notices_frozen_broker(void)
{
    hv_broker *b = hv_broker_start();
    REQUIRE(b);
    struct mqtt_opts o = { .client_id = "test-mqtt-probe", .host = "127.0.0.1",
                           .port = hv_broker_port(b), .keepalive = KEEPALIVE_S };
    mqtt_session *s = mqtt_session_new(&o);
    hv_client *peer = hv_client_new("test-mqtt-peer", hv_broker_port(b));
    int drops = 0;
    char topic[64] = "";

    REQUIRE(s && peer);
    CHECK(mqtt_session_subscribe(s, "probe-test/x", 1) == 0);
    CHECK(run_until(s, MQTT_EV_CONNECTED, 5000, &drops, NULL, 0));
    /* Idle for well over keepalive/2: the probe goes out, is answered, nothing drops. */
    CHECK(!run_until(s, MQTT_EV_DISCONNECTED, KEEPALIVE_S * 1000 + 500, &drops, NULL, 0));
    CHECK_INT_EQ(drops, 0);
    CHECK(mqtt_session_connected(s));

    int64_t t0 = hv_now_us();
    REQUIRE(kill(hv_broker_pid(b), SIGSTOP) == 0);
    bool noticed = run_until(s, MQTT_EV_DISCONNECTED, DETECT_BOUND_MS + 2000, NULL, NULL, 0);
    int64_t detect_ms = (hv_now_us() - t0) / 1000;
    printf("probe: frozen broker noticed after %lld ms (keepalive %d s, bound %d ms)\n",
           (long long)detect_ms, KEEPALIVE_S, DETECT_BOUND_MS);
    CHECK(noticed);
    CHECK(detect_ms <= DETECT_BOUND_MS);
    CHECK(!mqtt_session_connected(s));

    hv_sleep_ms(1000);  /* frozen a while longer: reconnect attempts meet silence too */
    int64_t t1 = hv_now_us();
    CHECK(kill(hv_broker_pid(b), SIGCONT) == 0);
    bool back = run_until(s, MQTT_EV_CONNECTED, KEEPALIVE_S * 1000 + 6000, NULL, NULL, 0);
    printf("probe: reconnected %lld ms after SIGCONT\n", (long long)((hv_now_us() - t1) / 1000));
    CHECK(back);
    /* The subscription is made again: a message published now arrives. */
    CHECK(hv_client_wait_ready(peer, 15000) == 0);
    for (int i = 0; i < 50 && !topic[0]; i++) {  /* the SUBSCRIBE may still be on its way */
        CHECK(hv_client_pub(peer, "probe-test/x", "hello", 1, false) == 0);
        run_until(s, MQTT_EV_MESSAGE, 200, NULL, topic, sizeof topic);
    }
    CHECK_STR_EQ(topic, "probe-test/x");

    mqtt_session_close(s, NULL, NULL, 1000);
    mqtt_session_free(s);
    hv_client_free(peer);
    hv_broker_free(b);
}

int main(void)
{
    RUN(test_inflight_take_and_has);
    RUN(test_inflight_full_forgets_oldest);
    RUN(test_parse_hostport);
    RUN(test_probe_notices_frozen_broker);
    return CHECK_SUMMARY();
}
