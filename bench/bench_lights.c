/*
 * bench_lights.c - what following the visit costs the controller when every
 * room fades at once.
 *
 *   bench_lights [--rooms N] [--fade S] [--step S]
 *
 *   --rooms N   rooms in one controller, each with a zigbee2mqtt lamp (default 1000)
 *   --fade S    seconds of the infusion fade (default 30)
 *   --step S    seconds between the points the controller sends (default 5)
 *
 * A private Mosquitto broker on a free 127.0.0.1 port, the real haven-room on
 * a clinic of N rooms, one client standing in for every lamp.  All rooms'
 * kiosks report intake (each lamp gets its first command), then all report
 * infusion at once (one burst of N retained status messages), and the lamps
 * count what they are told until every room has had its fade.  Printed, none
 * asserted:
 *
 *   - first point: time from a room's status being published to its lamp
 *     receiving the fade's first command (p50/p99/max over the rooms);
 *   - schedule: how late each later point k arrived against the plan from
 *     the moment the room's status was published (k x fade/points after
 *     it), p50/p99/max; it includes the same hops as the first point;
 *   - messages: lamp commands received (N x points expected), per second;
 *   - the controller's CPU (utime + stime) over the fade, as % of one core,
 *     against its CPU over the same length of time idle just before (the
 *     baseline in the same run), and its RSS.
 *
 * Exit status: 0 when every room got every point, 1 when something did not
 * work, 2 on a usage error.  ctest runs it small (label bench).
 */
#include "room_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ROOMS 5000

struct lamp_times {
    int64_t first_us;     /* its first infusion command */
    int got;              /* infusion commands received */
};

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts v and prints p50/p99/max in ms. */
static void print_dist(const char *label, int64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_i64);
    printf("%-20s n=%-5d p50=%.1f ms  p99=%.1f ms  max=%.1f ms\n", label, n,
           (double)v[n / 2] / 1000.0, (double)v[(n * 99 + 99) / 100 - 1] / 1000.0,
           (double)v[n - 1] / 1000.0);
}

static char *clinic_cfg(const char *prefix, int nrooms, double fade, double step)
{
    static const char head[] =
        "prefix = \"%s\";\n"
        "controller = { id = \"bench-lights\"; };\n"
        "groups = [ \"nurses\" ];\n"
        "scenes = { idle = { brightness = 70; kelvin = 3000; }; intake = { brightness = 60; kelvin = 3000; };\n"
        "  infusion = { brightness = 12; kelvin = 2200; }; recovery = { brightness = 30; };\n"
        "  discharge = { brightness = 65; }; care = { brightness = 100; kelvin = 4000; }; };\n"
        "lighting = { phases = { intake = { fade = 1; }; infusion = { fade = %g; }; }; step = %g; };\n"
        "rooms = (\n";
    size_t cap = sizeof head + strlen(prefix) + 64 + (size_t)nrooms * (128 + strlen(prefix));
    char *text = malloc(cap);
    size_t o;

    if (!text)
        return NULL;
    o = (size_t)snprintf(text, cap, head, prefix, fade, step);
    for (int i = 1; i <= nrooms; i++)
        o += (size_t)snprintf(text + o, cap - o,
                              "  { id = \"room-%04d\"; lights = ( { driver = \"zigbee2mqtt\"; "
                              "topic = \"%s-z2m/room-%04d\"; } ); }%s\n",
                              i, prefix, i, i < nrooms ? "," : "");
    snprintf(text + o, cap - o, ");\n");
    return text;
}

/* The room index (0-based) of a lamp topic "<prefix>-z2m/room-NNNN/set", or -1. */
static int lamp_room(const char *topic, int nrooms)
{
    const char *r = strstr(topic, "/room-");
    int i = r ? atoi(r + 6) : 0;

    return i >= 1 && i <= nrooms ? i - 1 : -1;
}

/* Publishes every room's retained status in phase, back to back; stores when each went. */
static int all_rooms_to(const struct room_fixture *f, hv_client *kiosks, int nrooms,
                        const char *phase, int64_t *sent_us)
{
    for (int i = 0; i < nrooms; i++) {
        char topic[96], payload[160];
        snprintf(topic, sizeof topic, "room/room-%04d/kiosk/status", i + 1);
        snprintf(payload, sizeof payload, "{\"online\":true,\"phase\":\"%s\",\"visit\":\"V-%d\","
                 "\"ts\":\"2026-11-21T10:00:00.000Z\"}", phase, i + 1);
        if (sent_us)
            sent_us[i] = hv_now_us();
        if (hv_client_pub(kiosks, rf_topic(f, topic), payload, 1, true) != 0)
            return -1;
    }
    return 0;
}

/* Waits for n lamp commands (any room); returns how many came within timeout_ms. */
static int drain_commands(hv_client *lamps, const char *filter, int n, int timeout_ms)
{
    int got = 0;

    while (got < n) {
        hv_msg *m = hv_client_expect_msg(lamps, filter, timeout_ms);
        if (!m)
            break;
        hv_msg_free(m);
        got++;
    }
    return got;
}

/* Receives the infusion fade: points per room, lateness against each room's plan. */
static int receive_fade(hv_client *lamps, const char *filter, int nrooms, int points,
                        double fade, const int64_t *sent_us, struct lamp_times *lt,
                        int64_t *late, int *nlate)
{
    int64_t period_us = (int64_t)(fade * 1e6) / points;

    for (long total = 0; total < (long)nrooms * points; total++) {
        hv_msg *m = hv_client_expect_msg(lamps, filter, (int)(fade * 1000) + 10000);
        if (!m) {
            fprintf(stderr, "bench_lights: %ld of %ld commands arrived\n", total,
                    (long)nrooms * points);
            return -1;
        }
        int i = lamp_room(m->topic, nrooms);
        if (i >= 0) {
            struct lamp_times *t = &lt[i];
            if (t->got == 0)
                t->first_us = m->recv_us;
            else
                late[(*nlate)++] = m->recv_us - (sent_us[i] + period_us * t->got);
            t->got++;
        }
        hv_msg_free(m);
    }
    return 0;
}

int main(int argc, char **argv)
{
    int nrooms = 1000;
    double fade = 30, step = 5;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rooms") && i + 1 < argc)
            nrooms = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--fade") && i + 1 < argc)
            fade = atof(argv[++i]);
        else if (!strcmp(argv[i], "--step") && i + 1 < argc)
            step = atof(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_lights [--rooms N] [--fade S] [--step S]\n");
            return 2;
        }
    }
    if (nrooms < 1 || nrooms > MAX_ROOMS || fade < step || step < 0.5 || fade > 600) {
        fprintf(stderr, "bench_lights: rooms 1..%d, step >= 0.5, step <= fade <= 600\n", MAX_ROOMS);
        return 2;
    }
    int points = (int)((fade * 1000 + step * 1000 - 1) / (step * 1000));
    printf("haven bench_lights: %d rooms, each a zigbee2mqtt lamp; infusion fade %g s in %d "
           "points (step %g s)\n", nrooms, fade, points, step);
    fflush(stdout);

    struct room_fixture f;
    char *cfg = clinic_cfg("%PREFIX%", nrooms, fade, step);
    struct lamp_times *lt = calloc((size_t)nrooms, sizeof *lt);
    int64_t *sent = calloc((size_t)nrooms, sizeof *sent);
    int64_t *first = calloc((size_t)nrooms, sizeof *first);
    int64_t *late = calloc((size_t)nrooms * (size_t)points, sizeof *late);
    hv_client *kiosks = NULL, *lamps = NULL;
    char filter[96];
    int nlate = 0, rc = 1;

    if (!cfg || !lt || !sent || !first || !late || rf_start(&f, cfg, true) != 0)
        goto out;
    snprintf(filter, sizeof filter, "%s-z2m/+/set", f.prefix);
    kiosks = rf_client(&f, "kiosks");
    lamps = rf_client(&f, "lamps");
    if (!kiosks || !lamps || hv_client_sub(lamps, filter, 1) != 0)
        goto out;
    hv_client_unsub(f.obs, rf_topic(&f, "#"));  /* the observer would only add load */

    if (all_rooms_to(&f, kiosks, nrooms, "intake", NULL) != 0 ||
        drain_commands(lamps, filter, nrooms, 10000) != nrooms) {
        fprintf(stderr, "bench_lights: not every lamp got its intake command\n");
        goto out;
    }
    hv_sleep_ms(1500);  /* intake's 1 s fade over */

    /* Baseline: the controller's CPU idle, for as long as the fade will take. */
    long cpu0 = hv_proc_cpu_ms(f.room);
    hv_sleep_ms((int)(fade * 1000));
    long cpu_idle = hv_proc_cpu_ms(f.room) - cpu0;
    long rss0 = hv_proc_rss_kb(f.room);

    int64_t t0 = hv_now_us();
    cpu0 = hv_proc_cpu_ms(f.room);
    if (all_rooms_to(&f, kiosks, nrooms, "infusion", sent) != 0 ||
        receive_fade(lamps, filter, nrooms, points, fade, sent, lt, late, &nlate) != 0)
        goto out;
    double wall = (double)(hv_now_us() - t0) / 1e6;
    long cpu_fade = hv_proc_cpu_ms(f.room) - cpu0;

    for (int i = 0; i < nrooms; i++)
        first[i] = lt[i].first_us - sent[i];
    printf("\n");
    print_dist("first point", first, nrooms);
    if (nlate > 0)
        print_dist("later points, late", late, nlate);
    printf("%-20s %ld commands in %.1f s (%.0f/s), %d per room\n", "messages",
           (long)nrooms * points, wall, (double)nrooms * points / wall, points);
    printf("%-20s fading %.2f%% of one core (%ld ms over %.1f s); idle %.2f%% (%ld ms over %g s)",
           "controller cpu", 100.0 * (double)cpu_fade / 1000.0 / wall, cpu_fade, wall,
           100.0 * (double)cpu_idle / 1000.0 / fade, cpu_idle, fade);
    if (cpu_idle > 0)
        printf(": x%.1f idle", (double)cpu_fade / wall / ((double)cpu_idle / fade));
    printf("\n");
    printf("%-20s %ld kB before the fade, %ld kB after\n", "controller rss", rss0,
           hv_proc_rss_kb(f.room));
    rc = 0;
out:
    hv_client_free(kiosks);
    hv_client_free(lamps);
    rf_finish(&f);
    free(cfg);
    free(lt);
    free(sent);
    free(first);
    free(late);
    return rc;
}
