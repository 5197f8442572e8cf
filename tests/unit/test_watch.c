/* test_watch.c - supervision of the nurse station's boards (room/watch.c), with fake time. */
#include "check.h"
#include "contract.h"
#include "roomcfg.h"
#include "unit_util.h"
#include "watch.h"

#include <stdint.h>
#include <string.h>

#define T0 1795000000000LL
#define GRACE 60000

/* What the watch asked of its ops. */
struct fake {
    int pages;
    char group[HV_NAME_MAX];
    int64_t page_since;
    int saves;
    int64_t saved;
};

static void fake_page(void *ctx, const char *group, int64_t since_ms)
{
    struct fake *f = ctx;
    f->pages++;
    snprintf(f->group, sizeof f->group, "%s", group);
    f->page_since = since_ms;
}

static void fake_save(void *ctx, int64_t paged_since_ms)
{
    struct fake *f = ctx;
    f->saves++;
    f->saved = paged_since_ms;
}

static const struct watch_ops ops = { fake_page, fake_save };

static struct room_config config(int on)
{
    struct room_config c;

    memset(&c, 0, sizeof c);
    c.stations.watch = on;
    strcpy(c.stations.group, "charge");
    c.stations.grace_ms = GRACE;
    return c;
}

static struct msg_station_status st(bool online, int boards, int armed)
{
    struct msg_station_status m = { online, boards, armed };
    return m;
}

/* Runs the watch's clock from t to end in 1 s steps, as the loop would. */
static void run(watch *w, int64_t *t, int64_t end)
{
    for (; *t <= end; *t += 1000)
        watch_tick(w, *t);
}

static void test_pages_once_per_outage(void)
{
    struct fake f = { 0 };
    struct room_config c = config(1);
    watch *w = watch_new(&c, &ops, &f, 0, T0);
    struct msg_station_status armed = st(true, 2, 1), silent = st(true, 2, 0);
    int64_t t = T0;

    REQUIRE(w);
    watch_station(w, "station", &armed, t);
    run(w, &t, T0 + 5 * GRACE);
    CHECK_INT_EQ(f.pages, 0);                   /* a board armed: nothing */
    CHECK_INT_EQ(watch_next_due(w), INT64_MAX);

    int64_t outage = t;
    watch_station(w, "station", &silent, t);    /* the last board muted */
    CHECK_INT_EQ(watch_next_due(w), outage + GRACE);
    run(w, &t, outage + GRACE - 1000);
    CHECK_INT_EQ(f.pages, 0);                   /* within the grace */
    run(w, &t, outage + GRACE);
    CHECK_INT_EQ(f.pages, 1);
    CHECK_STR_EQ(f.group, "charge");
    CHECK_INT_EQ(f.page_since, outage);
    CHECK_INT_EQ(f.saved, outage);              /* kept for a restart */
    CHECK(watch_outage_paged(w));
    run(w, &t, outage + 20 * GRACE);
    watch_station(w, "station", &silent, t);    /* the same status again */
    run(w, &t, t + 3 * GRACE);
    CHECK_INT_EQ(f.pages, 1);                   /* once per outage */

    watch_station(w, "station", &armed, t);     /* armed again: the outage ends */
    CHECK(!watch_outage_paged(w));
    CHECK_INT_EQ(f.saved, 0);
    CHECK_INT_EQ(watch_armed_stations(w), 1);

    outage = t;
    watch_station(w, "station", &silent, t);    /* a second outage: a second page */
    run(w, &t, outage + GRACE);
    CHECK_INT_EQ(f.pages, 2);
    CHECK_INT_EQ(f.page_since, outage);
    watch_free(w);
}

static void test_armed_within_grace_no_page(void)
{
    struct fake f = { 0 };
    struct room_config c = config(1);
    watch *w = watch_new(&c, &ops, &f, 0, T0);
    struct msg_station_status armed = st(true, 1, 1), silent = st(true, 1, 0);
    int64_t t = T0;

    watch_station(w, "station", &armed, t);
    watch_station(w, "station", &silent, t);
    run(w, &t, T0 + GRACE / 2);
    watch_station(w, "station", &armed, t);     /* a nurse tapped "Sound on" in time */
    run(w, &t, T0 + 10 * GRACE);
    CHECK_INT_EQ(f.pages, 0);
    CHECK_INT_EQ(f.saves, 0);
    watch_free(w);
}

/* Nothing heard from any station at all is an outage too, from the first connection. */
static void test_no_station_ever(void)
{
    struct fake f = { 0 };
    struct room_config c = config(1);
    watch *w = watch_new(&c, &ops, &f, 0, T0);
    int64_t t = T0 + 30000;

    watch_link_up(w, t);                        /* connected 30 s after start */
    CHECK_INT_EQ(watch_next_due(w), T0 + 30000 + GRACE);
    run(w, &t, T0 + 30000 + GRACE - 1000);
    CHECK_INT_EQ(f.pages, 0);
    run(w, &t, T0 + 30000 + GRACE);
    CHECK_INT_EQ(f.pages, 1);
    watch_free(w);
}

/* The station's will (offline), a deleted status, and boards 0 all count as no board. */
static void test_offline_will_and_no_boards(void)
{
    struct fake f = { 0 };
    struct room_config c = config(1);
    watch *w = watch_new(&c, &ops, &f, 0, T0);
    struct msg_station_status armed = st(true, 3, 2), will = st(false, 0, 0), none = st(true, 0, 0);
    int64_t t = T0, outage;

    watch_station(w, "station", &armed, t);
    outage = t;
    watch_station(w, "station", &will, t);      /* the station died */
    run(w, &t, outage + GRACE);
    CHECK_INT_EQ(f.pages, 1);

    watch_station(w, "station", &armed, t);
    outage = t;
    watch_station(w, "station", NULL, t);       /* its retained status deleted */
    run(w, &t, outage + GRACE);
    CHECK_INT_EQ(f.pages, 2);

    watch_station(w, "station", &armed, t);
    outage = t;
    watch_station(w, "station", &none, t);      /* online, but no browser shows the board */
    run(w, &t, outage + GRACE);
    CHECK_INT_EQ(f.pages, 3);
    watch_free(w);
}

/* Two stations: one muted is no outage while the other is armed. */
static void test_two_stations(void)
{
    struct fake f = { 0 };
    struct room_config c = config(1);
    watch *w = watch_new(&c, &ops, &f, 0, T0);
    struct msg_station_status armed = st(true, 1, 1), silent = st(true, 1, 0);
    struct msg_station_status will = st(false, 0, 0);
    int64_t t = T0, outage;

    watch_station(w, "station", &armed, t);
    watch_station(w, "station-desk-2", &armed, t);
    CHECK_INT_EQ(watch_armed_stations(w), 2);
    watch_station(w, "station", &silent, t);
    run(w, &t, T0 + 3 * GRACE);
    CHECK_INT_EQ(f.pages, 0);
    outage = t;
    watch_station(w, "station-desk-2", &will, t);
    run(w, &t, outage + GRACE);
    CHECK_INT_EQ(f.pages, 1);
    watch_free(w);
}

/* A restart during an outage already paged: no second page until a board is armed again. */
static void test_restart_during_outage(void)
{
    struct fake f = { 0 };
    struct room_config c = config(1);
    struct msg_station_status armed = st(true, 1, 1), silent = st(true, 1, 0);
    watch *w = watch_new(&c, &ops, &f, T0 - 5 * GRACE, T0);
    int64_t t = T0;

    CHECK(watch_outage_paged(w));
    watch_link_up(w, t);
    watch_station(w, "station", &silent, t);    /* the retained status, still silent */
    run(w, &t, T0 + 10 * GRACE);
    CHECK_INT_EQ(f.pages, 0);
    watch_station(w, "station", &armed, t);     /* ends it */
    CHECK_INT_EQ(f.saved, 0);
    CHECK_INT_EQ(f.saves, 1);
    int64_t outage = t;
    watch_station(w, "station", &silent, t);
    run(w, &t, outage + GRACE);
    CHECK_INT_EQ(f.pages, 1);                   /* a new outage pages */
    watch_free(w);
}

/* Off (no stations { }): statuses are ignored and nothing is ever due. */
static void test_off(void)
{
    struct fake f = { 0 };
    struct room_config c = config(0);
    watch *w = watch_new(&c, &ops, &f, 0, T0);
    struct msg_station_status armed = st(true, 1, 1), silent = st(true, 1, 0);
    int64_t t = T0;

    watch_station(w, "station", &armed, t);
    watch_station(w, "station", &silent, t);
    run(w, &t, T0 + 10 * GRACE);
    CHECK_INT_EQ(f.pages, 0);
    CHECK_INT_EQ(watch_next_due(w), INT64_MAX);

    c = config(1);                              /* a reload turns it on: grace from now */
    watch_set_config(w, &c, t);
    CHECK_INT_EQ(watch_next_due(w), t + GRACE);
    int64_t on = t;
    run(w, &t, on + GRACE);
    CHECK_INT_EQ(f.pages, 1);
    c = config(0);                              /* and off again: the outage is forgotten */
    watch_set_config(w, &c, t);
    CHECK_INT_EQ(f.saved, 0);
    watch_free(w);
}

/* More stations than the table holds: the extra ones are ignored, nothing breaks. */
static void test_many_stations_bounded(void)
{
    struct fake f = { 0 };
    struct room_config c = config(1);
    watch *w = watch_new(&c, &ops, &f, 0, T0);
    struct msg_station_status silent = st(true, 1, 0), armed = st(true, 1, 1);
    char login[HV_LOGIN_MAX];

    unit_capture_begin();
    for (int i = 0; i < WATCH_STATIONS_MAX + 10; i++) {
        snprintf(login, sizeof login, "station-%d", i);
        watch_station(w, login, &silent, T0);
    }
    free(unit_capture_end());
    watch_station(w, "station-70", &armed, T0);  /* not tracked: the table is full */
    CHECK_INT_EQ(watch_armed_stations(w), 0);
    watch_station(w, "station-3", &armed, T0);   /* tracked */
    CHECK_INT_EQ(watch_armed_stations(w), 1);
    watch_free(w);
    unit_cleanup();
}

int main(void)
{
    RUN(test_pages_once_per_outage);
    RUN(test_armed_within_grace_no_page);
    RUN(test_no_station_ever);
    RUN(test_offline_will_and_no_boards);
    RUN(test_two_stations);
    RUN(test_restart_during_outage);
    RUN(test_off);
    RUN(test_many_stations_bounded);
    return CHECK_SUMMARY();
}
