/*
 * bench_callpage.c - how long a patient's call takes to become a nurse's page.
 *
 *   bench_callpage [--calls N] [--rooms N] [--broker-conf TEXT]
 *
 *   --calls N        calls one at a time in parts 1 and 2 (default 1000)
 *   --rooms N        rooms calling at once in part 3 (default 1000, at most 5000)
 *   --broker-conf T  lines appended to each broker's mosquitto.conf, e.g.
 *                    "set_tcp_nodelay true" (docs/performance.md says why)
 *
 * Everything is real: a private Mosquitto broker on a free 127.0.0.1 port
 * (configured as the test harness configures it, as config/mosquitto/haven-dev.conf:
 * set_tcp_nodelay true, max_queued_messages 100000),
 * the haven-room binary under test, MQTT clients (TCP_NODELAY) standing in
 * for kiosks and nurses' pagers.  Three figures, each printed, none asserted:
 *
 *   1. one-hop floor: one client publishes QoS 1 on a topic another client
 *      is subscribed to, one message at a time; latency = receipt - publish
 *      start.  This is the baseline the other figures are divided by, so it
 *      is measured in the same run, on the same broker.
 *   2. call->page: a kiosk in chair-1 of a demo-like 4-chair clinic calls
 *      with a new id; latency = page received on page/nurses - call publish
 *      start.  The call is then cleared at the bedside and the empty
 *      retained call/chair-1 awaited, so every call opens afresh.  A call
 *      needs two hops (kiosk -> broker -> controller -> broker -> pager), so
 *      the aim is p99 <= 3x the one-hop p99: the controller itself adds
 *      little.  Whether it is met is printed; it never fails the run.
 *      Then the same with a lamp and a dome light in every chair and help
 *      calls made urgent, so every call also takes the lamp to the care
 *      scene and flashes the dome: the ratio to the first shows what the
 *      lights cost a page (they go out after it, in the same loop turn).
 *   3. many rooms: a controller serving room-0001..room-NNNN (escalation
 *      far off); the controller's RSS after start, then every room calls at
 *      once (10 publisher threads, each firing its share of the rooms back
 *      to back), each page matched to its call by room and id; latencies,
 *      throughput, RSS with every call open; then all are cleared.
 *
 * Exit status: 0 when every call was paged (whatever the figures), 1 when
 * something did not work (a lost page, a controller that did not start),
 * 2 on a usage error.  ctest runs it small (label bench) so it keeps working.
 */
#include "room_fixture.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAIT_MS       5000   /* one message, in the one-at-a-time parts */
#define BURST_WAIT_MS 30000  /* the next page of a burst */
#define PUBLISHERS    10     /* kiosks firing at once in the many-rooms part */
#define MAX_ROOMS     5000   /* the controller's status lists every room: < 64 KiB */
#define AIM_RATIO     3.0

struct stats {
    int n;
    double p50, p99, max, mean;  /* milliseconds */
};

/* ---- figures --------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile q (0..1] of the sorted v[0..n-1], in ms. */
static double pct_ms(const int64_t *v, int n, double q)
{
    int k = (int)((double)n * q + 0.999999);

    if (k < 1)
        k = 1;
    return (double)v[(k > n ? n : k) - 1] / 1000.0;
}

/* Summarises n latencies in microseconds (sorts us in place). */
static struct stats stats_of(int64_t *us, int n)
{
    struct stats s = { .n = n };
    double sum = 0;

    if (n <= 0)
        return s;
    qsort(us, (size_t)n, sizeof *us, cmp_i64);
    for (int i = 0; i < n; i++)
        sum += (double)us[i];
    s.p50 = pct_ms(us, n, 0.50);
    s.p99 = pct_ms(us, n, 0.99);
    s.max = (double)us[n - 1] / 1000.0;
    s.mean = sum / n / 1000.0;
    return s;
}

static void print_stats(const char *label, const struct stats *s)
{
    printf("%-18s n=%-5d p50=%.3f ms  p99=%.3f ms  max=%.3f ms  mean=%.3f ms", label, s->n,
           s->p50, s->p99, s->max, s->mean);
}

/* ---- set-up ------------------------------------------------------------------- */

/* A clinic like config/haven.cfg: four chairs, the demo's chains (nothing escalates
 * within a benchmark), the default reasons (help -> assist -> nurses first).
 * Malloc'd. */
static char *demo_cfg(const char *prefix, int nrooms)
{
    static const char fmt[] =
        "prefix = \"%s\";\n"
        /* one room's calls back to back: the flood guard (room_input_rate) is not what is measured */
        "controller = { id = \"bench-demo\"; room_input_rate = 100000; };\n"
        "groups = [ \"nurses\", \"charge\" ];\n"
        "priorities = {\n"
        "  routine = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 600; } );\n"
        "              repeat = 600; ack_timeout = 1800; };\n"
        "  assist  = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 120; } );\n"
        "              repeat = 120; ack_timeout = 900; };\n"
        "  urgent  = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 30; } );\n"
        "              repeat = 30; ack_timeout = 300; };\n"
        "};\n"
        "rooms = ( { id = \"chair-1\"; label = \"Chair 1\"; }, { id = \"chair-2\"; label = \"Chair 2\"; },\n"
        "          { id = \"chair-3\"; label = \"Chair 3\"; }, { id = \"chair-4\"; label = \"Chair 4\"; } );\n";
    size_t n = sizeof fmt + strlen(prefix);
    char *text = malloc(n);

    (void)nrooms;  /* always the demo's four */
    if (text)
        snprintf(text, n, fmt, prefix);
    return text;
}

/* The demo clinic with a zigbee2mqtt lamp and dome per chair, help calls urgent (so each
 * call sets the care scene and flashes the dome). Malloc'd. */
static char *demo_lights_cfg(const char *prefix, int nrooms)
{
    static const char lights[] =
        "reasons = { help = \"urgent\"; };\n"
        "scenes = { idle = { brightness = 70; }; intake = { brightness = 60; };\n"
        "  infusion = { brightness = 12; kelvin = 2200; }; recovery = { brightness = 30; };\n"
        "  discharge = { brightness = 65; }; care = { brightness = 100; kelvin = 4000; }; };\n"
        "rooms = (\n";
    char *base = demo_cfg(prefix, nrooms), *rooms = base ? strstr(base, "rooms = (") : NULL;
    size_t cap = (base ? strlen(base) : 0) + sizeof lights + 4 * 256;
    char *text = rooms ? malloc(cap) : NULL;

    if (text) {
        size_t o = (size_t)snprintf(text, cap, "%.*s%s", (int)(rooms - base), base, lights);
        for (int i = 1; i <= 4; i++)
            o += (size_t)snprintf(text + o, cap - o,
                                  "  { id = \"chair-%d\"; label = \"Chair %d\";\n"
                                  "    lights = ( { driver = \"zigbee2mqtt\"; topic = \"%s-z2m/chair-%d-lamp\"; } );\n"
                                  "    dome = { driver = \"zigbee2mqtt\"; topic = \"%s-z2m/chair-%d-dome\"; }; }%s\n",
                                  i, i, prefix, i, prefix, i, i < 4 ? "," : "");
        snprintf(text + o, cap - o, ");\n");
    }
    free(base);
    return text;
}

/* A clinic of rooms room-0001..room-<nrooms> whose escalation is a day away. Malloc'd. */
static char *many_rooms_cfg(const char *prefix, int nrooms)
{
    static const char head[] =
        "prefix = \"%s\";\n"
        "controller = { id = \"bench-rooms\"; };\n"
        "groups = [ \"nurses\", \"charge\" ];\n"
        "priorities = {\n"
        "  routine = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 86400; } );\n"
        "              repeat = 86400; ack_timeout = 86400; };\n"
        "  assist  = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 86400; } );\n"
        "              repeat = 86400; ack_timeout = 86400; };\n"
        "  urgent  = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 86400; } );\n"
        "              repeat = 86400; ack_timeout = 86400; };\n"
        "};\n"
        "rooms = (\n";
    size_t cap = sizeof head + strlen(prefix) + (size_t)nrooms * 64 + 16, o;
    char *text = malloc(cap);

    if (!text)
        return NULL;
    o = (size_t)snprintf(text, cap, head, prefix);
    for (int i = 1; i <= nrooms; i++)
        o += (size_t)snprintf(text + o, cap - o, "  { id = \"room-%04d\"; label = \"Room %d\"; }%s\n",
                              i, i, i < nrooms ? "," : "");
    snprintf(text + o, cap - o, ");\n");
    return text;
}

/* Extra mosquitto.conf lines for every broker of the run (--broker-conf), or NULL. */
static const char *broker_conf;

/*
 * Starts a private broker (configured as the test harness writes it,
 * plus broker_conf) and haven-room on the config make_cfg(prefix, nrooms)
 * returns, and waits until the controller says it is online.  The fixture's
 * observer follows only the controller's status, so it costs the broker
 * nothing during the measurements.  0, or -1 (said why); rf_finish() either way.
 */
static int start_clinic(struct room_fixture *f, char *(*make_cfg)(const char *, int), int nrooms)
{
    char *text;
    int rc;

    memset(f, 0, sizeof *f);
    snprintf(f->prefix, sizeof f->prefix, "bench%ld", (long)getpid());
    f->broker = hv_broker_start_ex(broker_conf);
    f->dir = hv_tmpdir("bench");
    if (!f->broker || !f->dir) {
        fprintf(stderr, "bench_callpage: cannot start a broker\n");
        return -1;
    }
    f->port = hv_broker_port(f->broker);
    snprintf(f->cfg_path, sizeof f->cfg_path, "%s/haven.cfg", f->dir);
    snprintf(f->db_path, sizeof f->db_path, "%s/calls.db", f->dir);
    snprintf(f->log_path, sizeof f->log_path, "%s/room.log", f->dir);
    text = make_cfg(f->prefix, nrooms);
    rc = text ? hv_write_file(f->cfg_path, text) : -1;
    free(text);
    if (rc != 0)
        return -1;
    f->obs = rf_client(f, "observer");
    if (!f->obs || hv_client_sub(f->obs, rf_topic(f, "controller/+/status"), 1) != 0)
        return -1;
    if (rf_start_room(f) != 0) {
        fprintf(stderr, "bench_callpage: haven-room did not start\n");
        return -1;
    }
    return 0;
}

/* Stops the controller and the broker; on failure prints the controller's log first. */
static void finish_clinic(struct room_fixture *f, bool failed)
{
    if (failed && f->dir) {
        char *log = hv_read_file(f->log_path);
        fprintf(stderr, "---- haven-room log ----\n%s---- end ----\n", log ? log : "(none)\n");
        free(log);
    }
    rf_finish(f);
}

/* A connected client on the fixture's broker subscribed to filter (NULL: none). */
static hv_client *client_on(const struct room_fixture *f, const char *name, const char *filter)
{
    hv_client *c = rf_client(f, name);

    if (c && filter && hv_client_sub(c, filter, 1) != 0) {
        hv_client_free(c);
        return NULL;
    }
    if (!c)
        fprintf(stderr, "bench_callpage: client %s cannot connect\n", name);
    return c;
}

/* ---- 1. one-hop floor ------------------------------------------------------------- */

/* n + warm QoS 1 messages, one at a time; fills *out with the last n. 0 or -1. */
static int bench_onehop(const struct room_fixture *f, int n, int warm, struct stats *out)
{
    const char *topic = rf_topic(f, "bench/onehop");
    hv_client *pub = client_on(f, "hop-pub", NULL);
    hv_client *sub = client_on(f, "hop-sub", topic);
    int64_t *lat = calloc((size_t)n, sizeof *lat);
    int rc = -1, i;

    if (!pub || !sub || !lat)
        goto out;
    for (i = 0; i < warm + n; i++) {
        char payload[64];
        snprintf(payload, sizeof payload, "{\"id\":\"hop-%d\"}", i);
        int64_t t0 = hv_now_us();
        if (hv_client_pub(pub, topic, payload, 1, false) != 0)
            break;
        hv_msg *m = hv_client_expect_msg(sub, topic, WAIT_MS);
        if (!m || strcmp(m->payload, payload) != 0) {
            fprintf(stderr, "bench_callpage: one-hop message %d %s\n", i, m ? "out of order" : "lost");
            hv_msg_free(m);
            break;
        }
        if (i >= warm)
            lat[i - warm] = m->recv_us - t0;
        hv_msg_free(m);
    }
    if (i == warm + n) {
        *out = stats_of(lat, n);
        rc = 0;
    }
out:
    free(lat);
    hv_client_free(sub);
    hv_client_free(pub);
    return rc;
}

/* ---- 2. call -> page, one at a time --------------------------------------------------- */

/* Waits for the empty retained call/<room> that says the room's call is cleared. 0 or -1. */
static int wait_cleared(hv_client *board, const char *filter, int timeout_ms)
{
    int64_t deadline = hv_now_us() + (int64_t)timeout_ms * 1000;

    for (;;) {
        int64_t left = (deadline - hv_now_us()) / 1000;
        hv_msg *m = hv_client_expect_msg(board, filter, left > 0 ? (int)left : 0);
        if (!m)
            return -1;
        int len = m->payloadlen;
        hv_msg_free(m);
        if (len == 0)
            return 0;
    }
}

/* One call in chair-1: publish, wait for its page, clear, wait until cleared.
 * Returns the call -> page latency in us, or -1. */
static int64_t one_call(const struct room_fixture *f, hv_client *kiosk, hv_client *pager,
                        hv_client *board, const char *id)
{
    char call[128], clear[128], want[96];
    const char *page_filter = rf_topic(f, "page/+");
    const char *call_topic = rf_topic(f, "room/chair-1/kiosk/call");
    const char *clear_topic = rf_topic(f, "room/chair-1/kiosk/clear");
    const char *retained = rf_topic(f, "call/chair-1");
    int64_t lat;

    snprintf(call, sizeof call, "{\"id\":\"%s\",\"reason\":\"help\"}", id);
    snprintf(clear, sizeof clear, "{\"id\":\"%s\",\"by\":\"bench\"}", id);
    snprintf(want, sizeof want, "\"id\":\"%s\"", id);
    int64_t t0 = hv_now_us();
    if (hv_client_pub(kiosk, call_topic, call, 1, false) != 0)
        return -1;
    hv_msg *m = hv_client_expect_msg(pager, page_filter, WAIT_MS);
    if (!m || !strstr(m->payload, want) || !strstr(m->topic, "/page/nurses")) {
        fprintf(stderr, "bench_callpage: call %s: %s\n", id, m ? "unexpected page" : "no page in 5 s");
        hv_msg_free(m);
        return -1;
    }
    lat = m->recv_us - t0;
    hv_msg_free(m);
    if (hv_client_pub(kiosk, clear_topic, clear, 1, false) != 0 ||
        wait_cleared(board, retained, WAIT_MS) != 0) {
        fprintf(stderr, "bench_callpage: call %s was not cleared\n", id);
        return -1;
    }
    return lat;
}

/* n + warm calls through the controller, one at a time. 0 or -1. */
static int bench_callpage(const struct room_fixture *f, int n, int warm, struct stats *out)
{
    hv_client *kiosk = client_on(f, "kiosk-chair-1", NULL);
    hv_client *pager = client_on(f, "pager", rf_topic(f, "page/+"));
    hv_client *board = client_on(f, "board", rf_topic(f, "call/chair-1"));
    int64_t *lat = calloc((size_t)n, sizeof *lat);
    int rc = -1, i;

    if (!kiosk || !pager || !board || !lat)
        goto out;
    for (i = 0; i < warm + n; i++) {
        char id[48];
        snprintf(id, sizeof id, "bench-%ld-%d", (long)getpid(), i);
        int64_t us = one_call(f, kiosk, pager, board, id);
        if (us < 0)
            break;
        if (i >= warm)
            lat[i - warm] = us;
    }
    if (i == warm + n) {
        *out = stats_of(lat, n);
        rc = 0;
    }
out:
    free(lat);
    hv_client_free(board);
    hv_client_free(pager);
    hv_client_free(kiosk);
    return rc;
}

/* ---- 3. many rooms at once -------------------------------------------------------------- */

struct burst {
    const struct room_fixture *f;
    int nrooms;
    int64_t *sent_us;            /* per room (index room-1): when its call was published */
    pthread_barrier_t go;
};

struct publisher {
    struct burst *b;
    hv_client *c;
    int first;                   /* rooms first, first+PUBLISHERS, ... (0-based) */
    int failed;
};

static void room_id(int index, char *out, size_t len)
{
    snprintf(out, len, "room-%04d", index + 1);
}

/* A publisher thread: waits for the others, then calls in each of its rooms back to back. */
static void *publish_calls(void *arg)
{
    struct publisher *p = arg;
    struct burst *b = p->b;

    pthread_barrier_wait(&b->go);
    for (int i = p->first; i < b->nrooms; i += PUBLISHERS) {
        char room[24], topic[128], payload[96];
        room_id(i, room, sizeof room);
        snprintf(topic, sizeof topic, "%s/room/%s/kiosk/call", b->f->prefix, room);
        snprintf(payload, sizeof payload, "{\"id\":\"burst-%s\",\"reason\":\"help\"}", room);
        b->sent_us[i] = hv_now_us();
        if (hv_client_pub(p->c, topic, payload, 1, false) != 0)
            p->failed++;
    }
    return NULL;
}

/* The room index (0-based) a page is for, if its id is the burst call's; else -1. */
static int page_room(const hv_msg *m, int nrooms)
{
    cJSON *o = cJSON_ParseWithLength(m->payload, (size_t)m->payloadlen);
    const cJSON *room = cJSON_GetObjectItemCaseSensitive(o, "room");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    int index = -1;

    if (cJSON_IsString(room) && cJSON_IsString(id) && strncmp(room->valuestring, "room-", 5) == 0 &&
        strncmp(id->valuestring, "burst-", 6) == 0 && strcmp(id->valuestring + 6, room->valuestring) == 0) {
        index = atoi(room->valuestring + 5) - 1;
        if (index < 0 || index >= nrooms)
            index = -1;
    }
    cJSON_Delete(o);
    return index;
}

struct many_result {
    long rss_start_kb, rss_open_kb, rss_cleared_kb;
    double start_s;              /* controller start until its status says online */
    struct stats burst;
    double offered_per_s;        /* calls published per second */
    double paged_per_s;          /* first call published .. last page received */
    double clear_s;              /* clearing every call at the bedside */
};

/* Fires one call per room from PUBLISHERS threads; measures every page. 0 or -1. */
static int fire_burst(const struct room_fixture *f, hv_client *pager, hv_client **pubs,
                      int nrooms, struct many_result *r)
{
    struct burst b = { .f = f, .nrooms = nrooms };
    struct publisher p[PUBLISHERS];
    pthread_t th[PUBLISHERS];
    int64_t *lat = calloc((size_t)nrooms, sizeof *lat), *got = calloc((size_t)nrooms, sizeof *got);
    int64_t first_sent = INT64_MAX, last_sent_done, last_recv = 0;
    int failed = 0, npaged = 0, rc = -1, extra = 0;

    b.sent_us = calloc((size_t)nrooms, sizeof *b.sent_us);
    if (!lat || !got || !b.sent_us)
        goto out;
    pthread_barrier_init(&b.go, NULL, PUBLISHERS);
    for (int k = 0; k < PUBLISHERS; k++) {
        p[k] = (struct publisher){ .b = &b, .c = pubs[k], .first = k };
        if (pthread_create(&th[k], NULL, publish_calls, &p[k]) != 0) {
            fprintf(stderr, "bench_callpage: cannot start a publisher thread\n");
            exit(1);  /* the others wait at the barrier; the children die with us */
        }
    }
    for (int k = 0; k < PUBLISHERS; k++) {
        pthread_join(th[k], NULL);
        failed += p[k].failed;
    }
    last_sent_done = hv_now_us();
    pthread_barrier_destroy(&b.go);
    if (failed) {
        fprintf(stderr, "bench_callpage: %d call(s) could not be published\n", failed);
        goto out;
    }
    while (npaged < nrooms) {
        hv_msg *m = hv_client_expect_msg(pager, rf_topic(f, "page/+"), BURST_WAIT_MS);
        if (!m) {
            fprintf(stderr, "bench_callpage: only %d of %d rooms paged in time; if the broker's log "
                    "says \"Outgoing messages are being dropped\", its max_queued_messages (1000 "
                    "by default) was reached: see docs/performance.md\n", npaged, nrooms);
            goto out;
        }
        int i = page_room(m, nrooms);
        if (i < 0 || got[i]) {
            extra++;  /* a re-page (QoS 1 may deliver a call twice) or not ours */
        } else {
            got[i] = m->recv_us;
            lat[npaged++] = m->recv_us - b.sent_us[i];
            if (m->recv_us > last_recv)
                last_recv = m->recv_us;
        }
        hv_msg_free(m);
    }
    for (int i = 0; i < nrooms; i++)
        if (b.sent_us[i] < first_sent)
            first_sent = b.sent_us[i];
    if (extra)
        printf("  (%d extra page(s) ignored)\n", extra);
    r->burst = stats_of(lat, nrooms);
    r->offered_per_s = nrooms / ((double)(last_sent_done - first_sent) / 1e6);
    r->paged_per_s = nrooms / ((double)(last_recv - first_sent) / 1e6);
    rc = 0;
out:
    free(b.sent_us);
    free(got);
    free(lat);
    return rc;
}

/* Clears every room's call at the bedside; waits for every empty retained call/R. 0 or -1. */
static int clear_all(const struct room_fixture *f, hv_client *kiosk, hv_client *board, int nrooms)
{
    for (int i = 0; i < nrooms; i++) {
        char room[24], topic[128], payload[96];
        room_id(i, room, sizeof room);
        snprintf(topic, sizeof topic, "%s/room/%s/kiosk/clear", f->prefix, room);
        snprintf(payload, sizeof payload, "{\"id\":\"burst-%s\",\"by\":\"bench\"}", room);
        if (hv_client_pub(kiosk, topic, payload, 1, false) != 0)
            return -1;
    }
    for (int cleared = 0; cleared < nrooms;) {
        hv_msg *m = hv_client_expect_msg(board, rf_topic(f, "call/+"), BURST_WAIT_MS);
        if (!m) {
            fprintf(stderr, "bench_callpage: only %d of %d calls cleared\n", cleared, nrooms);
            return -1;
        }
        cleared += m->payloadlen == 0;
        hv_msg_free(m);
    }
    return 0;
}

static int bench_many_rooms(int nrooms, struct many_result *r)
{
    struct room_fixture f;
    hv_client *pubs[PUBLISHERS] = { 0 }, *pager = NULL, *board = NULL;
    int rc = -1;

    int64_t t0 = hv_now_us();
    if (start_clinic(&f, many_rooms_cfg, nrooms) != 0)
        goto out;
    r->start_s = (double)(hv_now_us() - t0) / 1e6;
    for (int k = 0; k < PUBLISHERS; k++) {
        char name[32];
        snprintf(name, sizeof name, "kiosks-%d", k);
        if (!(pubs[k] = client_on(&f, name, NULL)))
            goto out;
    }
    /* Subscribed before any call exists, so no retained call is delivered now. */
    if (!(pager = client_on(&f, "pager", rf_topic(&f, "page/+"))) ||
        !(board = client_on(&f, "board", rf_topic(&f, "call/+"))))
        goto out;
    hv_sleep_ms(200);  /* let the controller settle after its start-up publishes */
    hv_client_drain(board);
    r->rss_start_kb = hv_proc_rss_kb(f.room);
    if (fire_burst(&f, pager, pubs, nrooms, r) != 0)
        goto out;
    r->rss_open_kb = hv_proc_rss_kb(f.room);
    hv_client_drain(board);
    int64_t tc = hv_now_us();
    if (clear_all(&f, pubs[0], board, nrooms) != 0)
        goto out;
    r->clear_s = (double)(hv_now_us() - tc) / 1e6;
    r->rss_cleared_kb = hv_proc_rss_kb(f.room);
    rc = 0;
out:
    hv_client_free(board);
    hv_client_free(pager);
    for (int k = 0; k < PUBLISHERS; k++)
        hv_client_free(pubs[k]);
    finish_clinic(&f, rc != 0);
    return rc;
}

/* ---- main --------------------------------------------------------------------------------- */

static int parse_count(const char *arg, const char *value, int max)
{
    char *end;
    long v = value ? strtol(value, &end, 10) : 0;

    if (!value || *end || v < 1 || v > max) {
        fprintf(stderr, "bench_callpage: %s takes a number from 1 to %d\n", arg, max);
        return -1;
    }
    return (int)v;
}

/* Prints the block of figures. */
static void print_report(const struct stats *hop, const struct stats *cp, const struct stats *cpl,
                         long demo_rss_kb, int nrooms, const struct many_result *many)
{
    double r50 = cp->p50 / hop->p50, r99 = cp->p99 / hop->p99;
    char label[32];

    print_stats("one-hop floor", hop);
    printf("\n");
    print_stats("call->page", cp);
    printf("\n%-18s ratio p50 x%.1f  p99 x%.1f  (aim: p99 <= %.0fx floor: %s)\n", "", r50, r99,
           AIM_RATIO, r99 <= AIM_RATIO ? "met" : "NOT met");
    print_stats("  with lights", cpl);
    printf("\n%-18s ratio to call->page without lights: p50 x%.2f  p99 x%.2f "
           "(urgent: care scene + dome on every call)\n", "", cpl->p50 / cp->p50,
           cpl->p99 / cp->p99);
    printf("%-18s rss after the calls=%ld kB (4 chairs)\n", "", demo_rss_kb);
    snprintf(label, sizeof label, "%d rooms", nrooms);
    printf("%-18s rss start=%ld kB, with %d open calls=%ld kB, after clearing=%ld kB\n",
           label, many->rss_start_kb, nrooms, many->rss_open_kb, many->rss_cleared_kb);
    print_stats("  burst", &many->burst);
    printf("\n%-18s %.0f calls/s paged (published at %.0f calls/s by %d kiosks); "
           "start-up %.2f s; clearing all %.2f s\n", "", many->paged_per_s, many->offered_per_s,
           PUBLISHERS, many->start_s, many->clear_s);
}

int main(int argc, char **argv)
{
    int ncalls = 1000, nrooms = 1000;
    struct room_fixture f;
    struct stats hop, cp, cpl;
    struct many_result many = { 0 };

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--calls") && (ncalls = parse_count("--calls", argv[i + 1], 1000000)) > 0)
            i++;
        else if (!strcmp(argv[i], "--rooms") && (nrooms = parse_count("--rooms", argv[i + 1], MAX_ROOMS)) > 0)
            i++;
        else if (!strcmp(argv[i], "--broker-conf") && i + 1 < argc)
            broker_conf = argv[++i];
        else {
            fprintf(stderr, "usage: bench_callpage [--calls N] [--rooms N] [--broker-conf 'LINE\\n...']\n");
            return 2;
        }
    }
    int warm = ncalls / 10 < 50 ? ncalls / 10 : 50;

    printf("haven bench_callpage: %d calls one at a time (after %d warm-up), %d rooms at once\n",
           ncalls, warm, nrooms);
    printf("haven-room: %s\n", rf_room_bin());
    printf("broker: %s, a private one per part, as haven-dev.conf (set_tcp_nodelay true)%s%s\n\n",
           hv_mosquitto_path(),
           broker_conf ? " + " : "", broker_conf ? broker_conf : "");
    fflush(stdout);

    long demo_rss_kb = -1;
    int failed = start_clinic(&f, demo_cfg, 4) != 0 || bench_onehop(&f, ncalls, warm, &hop) != 0 ||
                 bench_callpage(&f, ncalls, warm, &cp) != 0;
    if (!failed)
        demo_rss_kb = hv_proc_rss_kb(f.room);
    finish_clinic(&f, failed);
    if (failed)
        return 1;
    failed = start_clinic(&f, demo_lights_cfg, 4) != 0 || bench_callpage(&f, ncalls, warm, &cpl) != 0;
    finish_clinic(&f, failed);
    if (failed)
        return 1;
    if (bench_many_rooms(nrooms, &many) != 0)
        return 1;

    print_report(&hop, &cp, &cpl, demo_rss_kb, nrooms, &many);
    return 0;
}
