/*
 * bench_load.c - 1,000 kiosks against one controller serving 1,000 rooms.
 *
 *   bench_load [--kiosks N] [--spread S]
 *
 *   --kiosks N   simulated kiosks, one MQTT connection each (default 1000)
 *   --spread S   seconds over which the steady round's calls arrive (default 10)
 *
 * Everything is real: a private Mosquitto broker (the harness's settings, as
 * config/mosquitto/haven-dev.conf), the haven-room binary serving rooms
 * room-0001..room-N (escalation a day away), and N kiosk connections made by
 * this one process (libmosquitto, every socket in one poll() loop driven with
 * mosquitto_loop_read/write/misc).  Each simulated kiosk does what the real
 * one does on the wire: a retained offline will on its kiosk/status, a
 * retained online status, subscriptions to its kiosk/cmd and its call/R, and
 * one help call per round with a fresh id.  A nurse's pager subscribes to
 * page/nurses and matches every page to its call by id.
 *
 *   1. connect: all N kiosks connected and subscribed; the controller's RSS
 *   2. steady:  the N calls arrive at random over --spread seconds
 *   3. burst:   all N calls at once
 * After each round: every call paged?  call->page latency p50/p99/max, the
 * controller's RSS with every call open; then all are cleared at the bedside.
 * Figures are printed, never asserted.  Exit status: 0 when every call was
 * paged, 1 when one was not (or something did not start), 2 on a usage error.
 * ctest runs it small (label bench).  The open-file limit is raised to its
 * hard limit (the broker inherits it): N connections need N descriptors on
 * each side.
 */
#include "room_fixture.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <mosquitto.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define MAX_KIOSKS 5000
#define WAIT_MS    60000

struct kiosk {
    struct mosquitto *m;
    char room[16];
    char id[64];             /* this round's call id */
    int64_t sent_us;         /* when its call was published */
    int64_t paged_us;        /* when the pager got the page (0: not yet) */
    int subacks;
    bool connected, subscribed;
};

static struct kiosk *kiosks;
static int nk;
static int nlive;            /* kiosks created so far (connect_all) */
static char prefix[32];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

/* ---- the kiosks' poll loop (only the main thread touches the mosquitto handles) --------------- */

static void on_connect(struct mosquitto *m, void *obj, int rc)
{
    struct kiosk *k = obj;
    char topic[128];

    if (rc != 0)
        return;
    k->connected = true;
    snprintf(topic, sizeof topic, "%s/room/%s/kiosk/status", prefix, k->room);
    mosquitto_publish(m, NULL, topic, 48, "{\"online\":true,\"phase\":\"infusion\",\"visit\":null}", 1,
                      true);
    snprintf(topic, sizeof topic, "%s/room/%s/kiosk/cmd", prefix, k->room);
    mosquitto_subscribe(m, NULL, topic, 1);
    snprintf(topic, sizeof topic, "%s/call/%s", prefix, k->room);
    mosquitto_subscribe(m, NULL, topic, 1);
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *q)
{
    struct kiosk *k = obj;
    if (++k->subacks == 2)
        k->subscribed = true;
}

/* One pass over every socket: poll up to ms, then read, write and keepalive. */
static void pump(int ms)
{
    static struct pollfd *pfd;
    if (!pfd)
        pfd = calloc((size_t)nk, sizeof *pfd);
    for (int i = 0; i < nlive; i++) {
        pfd[i].fd = mosquitto_socket(kiosks[i].m);
        pfd[i].events = POLLIN | (mosquitto_want_write(kiosks[i].m) ? POLLOUT : 0);
        pfd[i].revents = 0;
    }
    poll(pfd, (nfds_t)nlive, ms);
    for (int i = 0; i < nlive; i++) {
        struct mosquitto *m = kiosks[i].m;
        if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
            mosquitto_loop_read(m, 1);
        if (mosquitto_want_write(m))
            mosquitto_loop_write(m, 1);
        mosquitto_loop_misc(m);
    }
}

static int connect_all(int port)
{
    char id[96], will[128];

    for (int i = 0; i < nk; i++) {
        struct kiosk *k = &kiosks[i];
        snprintf(k->room, sizeof k->room, "room-%04d", i + 1);
        snprintf(id, sizeof id, "%s-kiosk-%04d", prefix, i + 1);
        snprintf(will, sizeof will, "%s/room/%s/kiosk/status", prefix, k->room);
        k->m = mosquitto_new(id, true, k);
        if (!k->m)
            return -1;
        nlive = i + 1;
        mosquitto_int_option(k->m, MOSQ_OPT_TCP_NODELAY, 1);
        mosquitto_will_set(k->m, will, 16, "{\"online\":false}", 1, true);
        mosquitto_connect_callback_set(k->m, on_connect);
        mosquitto_subscribe_callback_set(k->m, on_subscribe);
        if (mosquitto_connect_async(k->m, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "bench_load: kiosk %d cannot connect: %s\n", i + 1, strerror(errno));
            return -1;
        }
        if (i % 50 == 49)
            pump(0);
    }
    for (int64_t end = hv_now_us() + WAIT_MS * 1000LL; hv_now_us() < end;) {
        int ready = 0;
        pump(10);
        for (int i = 0; i < nk; i++)
            ready += kiosks[i].subscribed;
        if (ready == nk)
            return 0;
    }
    fprintf(stderr, "bench_load: not every kiosk connected and subscribed\n");
    return -1;
}

/* ---- the pager ------------------------------------------------------------------------------ */

static hv_client *pager;
static volatile int stop_pager;

/* Matches pages to calls (by the room's number and the id) as they arrive. */
static void *pager_thread(void *arg)
{
    (void)arg;
    while (!stop_pager) {
        hv_msg *m = hv_client_expect_msg(pager, NULL, 100);
        if (!m)
            continue;
        cJSON *j = cJSON_Parse(m->payload);
        const cJSON *room = cJSON_GetObjectItem(j, "room"), *id = cJSON_GetObjectItem(j, "id");
        int n = 0;
        if (cJSON_IsString(room) && sscanf(room->valuestring, "room-%d", &n) == 1 && n >= 1 &&
            n <= nk && cJSON_IsString(id)) {
            pthread_mutex_lock(&mu);
            struct kiosk *k = &kiosks[n - 1];
            if (!k->paged_us && strcmp(k->id, id->valuestring) == 0)
                k->paged_us = m->recv_us;
            pthread_mutex_unlock(&mu);
        }
        cJSON_Delete(j);
        hv_msg_free(m);
    }
    return NULL;
}

/* ---- rounds --------------------------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double pct(const int64_t *v, int n, double q)
{
    int k = (int)((double)n * q + 0.999999);
    return n ? (double)v[(k < 1 ? 1 : k > n ? n : k) - 1] / 1000.0 : 0;
}

static int cmp_sched(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/*
 * Every kiosk calls once, at a random moment within spread_ms of the start
 * (0: all at once).  Returns how many were paged; prints the figures.
 */
static int round_of_calls(const char *label, int round, int spread_ms, const struct room_fixture *f)
{
    int64_t (*sched)[2] = malloc(sizeof *sched * (size_t)nk);
    int64_t *lat = malloc(sizeof *lat * (size_t)nk);
    int next = 0, paged = 0;
    unsigned seed = (unsigned)round * 7919u + 17u;
    char topic[128], body[160];
    int64_t t0;

    if (!sched || !lat)
        return 0;
    for (int i = 0; i < nk; i++) {
        sched[i][0] = spread_ms ? (int64_t)(rand_r(&seed) % (unsigned)spread_ms) * 1000 : 0;
        sched[i][1] = i;
        pthread_mutex_lock(&mu);
        snprintf(kiosks[i].id, sizeof kiosks[i].id, "load-%d-%04d", round, i + 1);
        kiosks[i].paged_us = 0;
        pthread_mutex_unlock(&mu);
    }
    qsort(sched, (size_t)nk, sizeof *sched, cmp_sched);
    t0 = hv_now_us();
    while (next < nk) {
        int64_t now = hv_now_us();
        while (next < nk && t0 + sched[next][0] <= now) {
            struct kiosk *k = &kiosks[sched[next++][1]];
            snprintf(topic, sizeof topic, "%s/room/%s/kiosk/call", prefix, k->room);
            snprintf(body, sizeof body, "{\"id\":\"%s\",\"reason\":\"help\"}", k->id);
            k->sent_us = hv_now_us();
            mosquitto_publish(k->m, NULL, topic, (int)strlen(body), body, 1, false);
            mosquitto_loop_write(k->m, 1);
        }
        int64_t wait_us = next < nk ? t0 + sched[next][0] - hv_now_us() : 0;
        pump(wait_us > 1000 ? (int)(wait_us / 1000) : 0);
    }
    long rss_open = 0;
    for (int64_t end = hv_now_us() + WAIT_MS * 1000LL; hv_now_us() < end;) {
        pump(10);
        pthread_mutex_lock(&mu);
        paged = 0;
        for (int i = 0; i < nk; i++)
            paged += kiosks[i].paged_us != 0;
        pthread_mutex_unlock(&mu);
        if (paged == nk)
            break;
    }
    rss_open = hv_proc_rss_kb(f->room);
    int n = 0;
    pthread_mutex_lock(&mu);
    for (int i = 0; i < nk; i++)
        if (kiosks[i].paged_us)
            lat[n++] = kiosks[i].paged_us - kiosks[i].sent_us;
    pthread_mutex_unlock(&mu);
    qsort(lat, (size_t)n, sizeof *lat, cmp_i64);
    printf("%-7s %d calls over %.1f s: paged %d/%d  call->page p50=%.2f ms  p99=%.2f ms  "
           "max=%.2f ms  controller RSS with all open=%ld kB\n", label, nk, spread_ms / 1000.0,
           n, nk, pct(lat, n, 0.5), pct(lat, n, 0.99), n ? lat[n - 1] / 1000.0 : 0, rss_open);
    fflush(stdout);

    /* Cleared at the bedside; then wait until the controller is idle again. */
    hv_client_drain(f->obs);
    for (int i = 0; i < nk; i++) {
        struct kiosk *k = &kiosks[i];
        snprintf(topic, sizeof topic, "%s/room/%s/kiosk/clear", prefix, k->room);
        snprintf(body, sizeof body, "{\"id\":\"%s\",\"by\":\"bench\"}", k->id);
        mosquitto_publish(k->m, NULL, topic, (int)strlen(body), body, 1, false);
        if (i % 50 == 49)
            pump(0);
    }
    int cleared = 0;
    for (int64_t end = hv_now_us() + WAIT_MS * 1000LL; cleared < nk && hv_now_us() < end;) {
        pump(10);
        char *m;
        while ((m = hv_client_expect(f->obs, rf_topic(f, "call/+"), 0))) {
            cleared += m[0] == '\0';
            free(m);
        }
    }
    free(sched);
    free(lat);
    return paged;
}

/* ---- main ----------------------------------------------------------------------------------- */

static char *rooms_cfg(int n)
{
    size_t cap = 1024 + (size_t)n * 64;
    char *t = malloc(cap);
    size_t o;

    if (!t)
        return NULL;
    o = (size_t)snprintf(t, cap,
        "prefix = \"%%PREFIX%%\";\ncontroller = { id = \"bench-load\"; };\n"
        "groups = [ \"nurses\", \"charge\" ];\npriorities = {\n"
        "  assist = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 86400; } );\n"
        "             repeat = 86400; ack_timeout = 86400; };\n};\nrooms = (\n");
    for (int i = 1; i <= n; i++)
        o += (size_t)snprintf(t + o, cap - o, "  { id = \"room-%04d\"; label = \"Room %d\"; }%s\n", i,
                              i, i < n ? "," : "");
    snprintf(t + o, cap - o, ");\n");
    return t;
}

int main(int argc, char **argv)
{
    int spread_s = 10;
    struct rlimit rl;
    struct room_fixture f;
    pthread_t th;

    nk = 1000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--kiosks") && i + 1 < argc)
            nk = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--spread") && i + 1 < argc)
            spread_s = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_load [--kiosks N] [--spread S]\n");
            return 2;
        }
    }
    if (nk < 1 || nk > MAX_KIOSKS || spread_s < 0) {
        fprintf(stderr, "bench_load: --kiosks 1..%d, --spread >= 0\n", MAX_KIOSKS);
        return 2;
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)nk + 64) {
        fprintf(stderr, "bench_load: open-file limit %lu is too low for %d kiosks (ulimit -n)\n",
                (unsigned long)rl.rlim_cur, nk);
        return 1;
    }
    mosquitto_lib_init();
    kiosks = calloc((size_t)nk, sizeof *kiosks);
    char *cfg = rooms_cfg(nk);
    struct rf_opts o = { .cfg_text = cfg, .private_broker = true,
                         .broker_conf = "max_connections -1\n" };
    if (!kiosks || !cfg || rf_start_opts(&f, &o) != 0) {
        fprintf(stderr, "bench_load: the broker or the controller did not start\n");
        return 1;
    }
    snprintf(prefix, sizeof prefix, "%s", f.prefix);
    long rss_start = hv_proc_rss_kb(f.room);
    pager = rf_client(&f, "pager");
    if (!pager || hv_client_sub(pager, rf_topic(&f, "page/nurses"), 1) != 0)
        return 1;
    pthread_create(&th, NULL, pager_thread, NULL);

    printf("bench_load: %d kiosks (one connection each) -> broker -> haven-room serving %d rooms"
           " -> pager; open-file limit %lu\n", nk, nk, (unsigned long)rl.rlim_cur);
    int64_t t = hv_now_us();
    if (connect_all(f.port) != 0)
        return 1;
    double connect_s = (double)(hv_now_us() - t) / 1e6;
    /* Let the controller take in the N online statuses. */
    for (int i = 0; i < 100; i++)
        pump(10);
    printf("connect %d kiosks connected, statuses retained, 2 subscriptions each in %.2f s;"
           " controller RSS at start=%ld kB, with %d kiosks online=%ld kB\n", nk, connect_s,
           rss_start, nk, hv_proc_rss_kb(f.room));
    fflush(stdout);
    int steady = round_of_calls("steady", 1, spread_s * 1000, &f);
    int burst = round_of_calls("burst", 2, 0, &f);
    printf("controller RSS at the end=%ld kB\n", hv_proc_rss_kb(f.room));

    stop_pager = 1;
    pthread_join(th, NULL);
    hv_client_free(pager);
    for (int i = 0; i < nk; i++) {
        mosquitto_disconnect(kiosks[i].m);
        mosquitto_destroy(kiosks[i].m);
    }
    rf_finish(&f);
    free(kiosks);
    free(cfg);
    mosquitto_lib_cleanup();
    return steady == nk && burst == nk ? 0 : 1;
}
