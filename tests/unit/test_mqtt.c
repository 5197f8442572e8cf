/*
 * test_mqtt.c - the parts of common/mqtt.c that need no broker: the table of
 * publishes in flight and HOST:PORT parsing (the session itself is tested
 * against a real broker by the integration tests).
 */
#include "check.h"
#include "err.h"
#include "mqtt.h"

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

int main(void)
{
    RUN(test_inflight_take_and_has);
    RUN(test_inflight_full_forgets_oldest);
    RUN(test_parse_hostport);
    return CHECK_SUMMARY();
}
