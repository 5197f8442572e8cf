/*
 * test_netns.c - silent link loss drills (issue 12 item 12): a link dropped
 * without a FIN or an RST, in network namespaces this test makes itself.
 *
 * The process first moves into a network namespace of its own
 * (unshare(CLONE_NEWNET), with its own lo), so the broker, the observer and
 * the pager on 127.0.0.1 live where nothing else does.  Then it makes two
 * named namespaces, hv-<pid>-k (the kiosk's) and hv-<pid>-c (the
 * controller's), each joined to ours by a veth pair:
 *
 *     ours: vk0 10.201.0.1/30  <->  hv-<pid>-k: vk1 10.201.0.2/30
 *     ours: vc0 10.201.1.1/30  <->  hv-<pid>-c: vc1 10.201.1.2/30
 *
 * and the broker listens on 127.0.0.1 and on 10.201.0.1 and 10.201.1.1.
 * `ip link set vk0 down` silences a link: packets are dropped, no FIN, no
 * RST, both ends' sockets stay open.  Only these addresses, in namespaces
 * made here, are touched; the named namespaces are removed at exit, on a
 * fatal signal, and (if a run was SIGKILLed) by the next run.
 *
 *   kiosk        the kiosk's link goes silent during a visit: the kiosk
 *                shows offline ("cannot reach the broker" in its log) and
 *                the controller pages kiosk_offline, each within
 *                1.5 x keepalive + 1 s; a help call pressed during the
 *                outage (round 1: before the kiosk noticed, round 2: after)
 *                is paged exactly once after the link heals
 *   controller   the controller's link goes silent with open calls: its log
 *                says it lost the broker within the bound, and after the
 *                heal every call is still open (retained, one row in the
 *                call log), escalates on its own id and is not duplicated
 *
 * Without CAP_NET_ADMIN / CAP_SYS_ADMIN (not root) it says why and exits 77,
 * which CTest counts as skipped (SKIP_RETURN_CODE).
 */
#define _GNU_SOURCE
#include "check.h"
#include "json_util.h"
#include "kiosk_fixture.h"
#include "kit.h"

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#define SKIP_CODE    77
#define KEEPALIVE_S  5     /* the clinic's broker { keepalive }; libmosquitto allows >= 5 */
#define BOUND_MS     (KEEPALIVE_S * 1500 + 1000)  /* the issue's 1.5 x keepalive + 1 s */
#define KIOSK_ADDR   "10.201.0.1"                 /* the broker, as the kiosk sees it */
#define CTL_ADDR     "10.201.1.1"                 /* the broker, as the controller sees it */
#define NS_PORT      1883                         /* free: the namespace is ours */
#define ESC_MS       5000  /* the controller drill: charge after 5 s, then every 5 s */
/*
 * The controller's kiosk_offline page is held to the issue's bound too.  The
 * kiosk's will is no help there: Mosquitto 2.0.x (src/keepalive.c,
 * keepalive__check) looks only every 6 s (`last_keepalive_check + 5 <
 * db.now_s`) for a client silent for more than keepalive*3/2 whole seconds, so
 * the will comes 7..14 s after the kiosk's last packet with keepalive 5.  The
 * controller judges the kiosk's heartbeat instead (its status every
 * keepalive/2, offline after 2.5 beats of silence, the page offline_grace
 * (0.5 s) later: docs/protocol.md, Supervision), so the will usually comes
 * after the page, or not before the heal; it is reported, not required.
 */
#define WATCH_MS (BOUND_MS + 5000)  /* how long to wait for the page, to report a late one */

/* The kiosk drill: nothing escalates for a minute, so every page is counted. */
static const char kiosk_config[] =
    "prefix = \"%PREFIX%\";\n"
    "controller = { id = \"ctl-%PREFIX%\"; };\n"
    "broker = { keepalive = 5; };\n"
    "groups = [ \"nurses\", \"charge\" ];\n"
    "priorities = {\n"
    "  routine = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 60; } );\n"
    "              repeat = 60; ack_timeout = 60; };\n"
    "  assist  = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 60; } );\n"
    "              repeat = 60; ack_timeout = 60; };\n"
    "  urgent  = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 60; } );\n"
    "              repeat = 60; ack_timeout = 60; };\n"
    "};\n"
    "rooms = ( { id = \"chair-1\"; label = \"Chair 1\"; }, { id = \"chair-2\"; label = \"Chair 2\"; } );\n";

/* The controller drill: calls escalate every 5 s, through the outage. */
static const char ctl_config[] =
    "prefix = \"%PREFIX%\";\n"
    "controller = { id = \"ctl-%PREFIX%\"; };\n"
    "broker = { keepalive = 5; };\n"
    "groups = [ \"nurses\", \"charge\" ];\n"
    "priorities = {\n"
    "  routine = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 5; } );\n"
    "              repeat = 5; ack_timeout = 60; };\n"
    "  assist  = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 5; } );\n"
    "              repeat = 5; ack_timeout = 60; };\n"
    "  urgent  = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 5; } );\n"
    "              repeat = 5; ack_timeout = 60; };\n"
    "};\n"
    "rooms = ( { id = \"chair-1\"; label = \"Chair 1\"; }, { id = \"chair-2\"; label = \"Chair 2\"; },\n"
    "          { id = \"chair-3\"; label = \"Chair 3\"; } );\n";

static const char broker_conf[] =
    "listener 1883 " KIOSK_ADDR "\n"
    "listener 1883 " CTL_ADDR "\n";

/* ---- namespaces --------------------------------------------------------------------------- */

static char ns_kiosk[64], ns_ctl[64];
static char ns_path_kiosk[128], ns_path_ctl[128];

/* What `ip netns del` does, with syscalls only: safe in a signal handler. */
static void ns_remove(const char *path)
{
    if (path[0]) {
        umount2(path, MNT_DETACH);
        unlink(path);
    }
}

static void ns_cleanup(void)
{
    ns_remove(ns_path_kiosk);
    ns_remove(ns_path_ctl);
}

static void on_fatal(int sig)
{
    ns_cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Removes hv-<pid>-k / hv-<pid>-c left by a run that was SIGKILLed (its pid gone). */
static void sweep_stale(void)
{
    DIR *d = opendir("/run/netns");
    struct dirent *e;

    while (d && (e = readdir(d)) != NULL) {
        int pid = 0;
        char kind = 0, path[300];
        if (sscanf(e->d_name, "hv-%d-%c", &pid, &kind) != 2 || (kind != 'k' && kind != 'c') ||
            pid <= 0 || hv_pid_alive(pid))
            continue;
        snprintf(path, sizeof path, "/run/netns/%s", e->d_name);
        fprintf(stderr, "netns: removing %s, left by a run that is gone\n", path);
        ns_remove(path);
    }
    if (d)
        closedir(d);
}

/* Runs `ip args...` (space-separated words in a printf format), output to stderr. 0 or -1. */
__attribute__((format(printf, 1, 2)))
static int ip(const char *fmt, ...)
{
    char line[512], *argv[32], *save = NULL;
    int n = 0;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    argv[n++] = (char *)hv_ip_path();
    for (char *w = strtok_r(line, " ", &save); w && n < 31; w = strtok_r(NULL, " ", &save))
        argv[n++] = w;
    argv[n] = NULL;
    hv_proc *p = hv_proc_spawn(argv, NULL);
    int rc = p ? hv_proc_wait(p, 10000) : -1;
    hv_proc_free(p);
    if (rc != 0) {
        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        fprintf(stderr, "netns: `ip %s` failed (status %d)\n", line, rc);
    }
    return rc == 0 ? 0 : -1;
}

/* True if the process has capability cap in its effective set (/proc/self/status). */
static bool has_cap(int cap)
{
    char *st = hv_read_file("/proc/self/status");
    const char *l = st ? strstr(st, "CapEff:") : NULL;
    unsigned long long eff = l ? strtoull(l + 7, NULL, 16) : 0;

    free(st);
    return (eff >> cap) & 1ULL;
}

/* A named namespace joined to ours by veth ours <-> theirs (ours .1/30, theirs .2/30). */
static int make_ns(const char *name, const char *ours, const char *theirs, const char *net)
{
    if (ip("netns add %s", name) != 0)
        return -1;
    return ip("link add %s type veth peer name %s netns %s", ours, theirs, name) ||
           ip("addr add %s.1/30 dev %s", net, ours) || ip("link set %s up", ours) ||
           ip("-n %s link set lo up", name) ||
           ip("-n %s addr add %s.2/30 dev %s", name, net, theirs) ||
           ip("-n %s link set %s up", name, theirs) ? -1 : 0;
}

/* Moves into a network namespace of our own and makes the two named ones. 0, -1, or SKIP_CODE. */
static int setup_namespaces(void)
{
    if (!has_cap(12 /* CAP_NET_ADMIN */) || !has_cap(21 /* CAP_SYS_ADMIN */)) {
        printf("drills.netns: SKIPPED: needs CAP_NET_ADMIN and CAP_SYS_ADMIN (run as root) to "
               "make network namespaces and veth pairs\n");
        return SKIP_CODE;
    }
    if (!hv_ip_path()) {
        fprintf(stderr, "netns: no `ip` (iproute2) found\n");
        return -1;
    }
    if (unshare(CLONE_NEWNET) != 0) {
        if (errno == EPERM) {
            printf("drills.netns: SKIPPED: unshare(CLONE_NEWNET) not permitted: %s\n",
                   strerror(errno));
            return SKIP_CODE;
        }
        fprintf(stderr, "netns: unshare(CLONE_NEWNET): %s\n", strerror(errno));
        return -1;
    }
    sweep_stale();
    snprintf(ns_kiosk, sizeof ns_kiosk, "hv-%d-k", (int)getpid());
    snprintf(ns_ctl, sizeof ns_ctl, "hv-%d-c", (int)getpid());
    snprintf(ns_path_kiosk, sizeof ns_path_kiosk, "/run/netns/%s", ns_kiosk);
    snprintf(ns_path_ctl, sizeof ns_path_ctl, "/run/netns/%s", ns_ctl);
    atexit(ns_cleanup);
    static const int fatal[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS };
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        signal(fatal[i], on_fatal);
    if (ip("link set lo up") != 0 || make_ns(ns_kiosk, "vk0", "vk1", "10.201.0") != 0 ||
        make_ns(ns_ctl, "vc0", "vc1", "10.201.1") != 0)
        return -1;
    printf("netns: own namespace; %s (vk1 10.201.0.2) and %s (vc1 10.201.1.2) made\n", ns_kiosk,
           ns_ctl);
    return 0;
}

/* ---- helpers ------------------------------------------------------------------------------ */

static long file_size(const char *path)
{
    char *t = hv_read_file(path);
    long n = t ? (long)strlen(t) : 0;
    free(t);
    return n;
}

/*
 * Polls the log at path every 10 ms for needle written after offset.
 * Returns hv_now_us() when it was seen, or 0 after timeout_ms.
 */
static int64_t log_seen(const char *path, long offset, const char *needle, int timeout_ms)
{
    for (int64_t end = hv_now_us() + timeout_ms * 1000LL; hv_now_us() < end; hv_sleep_ms(10)) {
        char *t = hv_read_file(path);
        bool found = t && (long)strlen(t) > offset && strstr(t + offset, needle);
        free(t);
        if (found)
            return hv_now_us();
    }
    fprintf(stderr, "netns: no \"%s\" in %s within %d ms\n", needle, path, timeout_ms);
    return 0;
}

/* The id of the kiosk's "call <id> (help)" logged after offset (into id, 64 bytes). */
static bool kiosk_call_id(const struct kiosk_fixture *k, long offset, char *id)
{
    for (int64_t end = hv_now_us() + 5000000; hv_now_us() < end; hv_sleep_ms(10)) {
        char *t = hv_read_file(k->log_path);
        const char *at = t && (long)strlen(t) > offset ? strstr(t + offset, " call ") : NULL;
        bool ok = at && sscanf(at, " call %63s (", id) == 1;
        free(t);
        if (ok)
            return true;
    }
    return false;
}

/* Rows of the call log: for room since since_ms (id NULL), or with this id. */
static int db_rows(const char *db, const char *room, const char *id, int64_t since_ms)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    int n = -1;
    const char *q = id ? "SELECT count(*) FROM calls WHERE id = ?1"
                       : "SELECT count(*) FROM calls WHERE room = ?1 AND raised_ms >= ?2";

    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_busy_timeout(h, 3000) == SQLITE_OK &&
        sqlite3_prepare_v2(h, q, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id ? id : room, -1, SQLITE_STATIC);
        if (!id)
            sqlite3_bind_int64(st, 2, since_ms);
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int(st, 0);
    }
    if (n < 0)
        fprintf(stderr, "netns: cannot read the call log %s: %s\n", db, h ? sqlite3_errmsg(h) : "");
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The room's retained call as a new subscriber sees it (malloc'd), or NULL if none. */
static char *retained_call(const struct room_fixture *f, const char *room)
{
    char rest[64];
    bool retained = false;
    hv_client *b = rf_client(f, "netns-board");
    char *m = NULL;

    snprintf(rest, sizeof rest, "call/%s", room);
    if (b && hv_client_sub(b, rf_topic(f, rest), 1) == 0)
        m = hv_client_expect_t(b, rf_topic(f, rest), 500, NULL, &retained);
    hv_client_free(b);
    if (m && (!retained || !m[0] || !json_str(m, "id"))) {
        free(m);
        m = NULL;
    }
    return m;
}

static hv_client *pager_for(const struct room_fixture *f)
{
    hv_client *c = rf_client(f, "netns-pager");
    if (c && hv_client_sub(c, rf_topic(f, "page/#"), 1) != 0) {
        hv_client_free(c);
        c = NULL;
    }
    return c;
}

static double sec(int64_t us)
{
    return (double)us / 1e6;
}

/* ---- drill: the kiosk's link goes silent during a visit --------------------------------------- */

/* What one round of the kiosk drill saw (times are hv_now_us()). */
struct kround {
    char id[64];             /* the help call pressed during the outage */
    int64_t cut, kiosk, will, ctl, heal, back, help;
    int offline_pages, help_pages, other_pages;
};

/* Begins a visit on chair-1's kiosk and waits until the controller has heard of it. */
static bool begin_visit(const struct room_fixture *f, hv_client *station)
{
    bool in_visit = false;

    if (hv_client_pub(station, rf_topic(f, "room/chair-1/kiosk/cmd"),
                      "{\"cmd\":\"begin_visit\",\"visit\":\"V-NS1\",\"lang\":\"en\"}", 1,
                      false) != 0)
        return false;
    for (char *st; !in_visit &&
         (st = hv_client_expect(f->obs, rf_topic(f, "room/chair-1/kiosk/status"), 5000));) {
        in_visit = json_str(st, "phase") && strcmp(json_str(st, "phase"), "intake") == 0;
        free(st);
    }
    return in_visit && sync_room(f, station);
}

/* Taps help and reads the call's id from the kiosk's log. */
static bool press_help(struct kiosk_fixture *k, struct kround *r)
{
    long off = file_size(k->log_path);

    return kf_tap_help(k) == 0 && kiosk_call_id(k, off, r->id);
}

/*
 * During the outage: waits for the controller's kiosk_offline page (the
 * kiosk's heartbeat stops, the controller pages after 2.5 beats and its
 * grace), noting when the will came if before it; any other page is counted.
 */
static void watch_outage(const struct room_fixture *f, hv_client *pager, struct kround *r)
{
    char status[256];

    snprintf(status, sizeof status, "%s", rf_topic(f, "room/chair-1/kiosk/status"));

    for (int64_t end = r->cut + WATCH_MS * 1000LL;
         !r->ctl && hv_now_us() < end;) {
        hv_msg *m = hv_client_expect_msg(pager, rf_topic(f, "page/#"), 100), *w;
        const char *reason = m ? json_str(m->payload, "reason") : NULL;
        if (m && reason && strcmp(reason, "kiosk_offline") == 0 &&
            strcmp(m->topic, rf_topic(f, "page/nurses")) == 0) {
            r->offline_pages++;
            r->ctl = m->recv_us;
        } else if (m) {
            r->other_pages++;
            fprintf(stderr, "netns: page during the outage: %s %s\n", m->topic, m->payload);
        }
        hv_msg_free(m);
        while (!r->will && (w = hv_client_expect_msg(f->obs, status, 0))) {
            if (json_is_false(w->payload, "online"))
                r->will = w->recv_us;
            hv_msg_free(w);
        }
    }
}

/*
 * After the heal: counts the pages until the help call has been paged and 3 s
 * more have passed (a duplicate would come at the reconnect: the kiosk's
 * resend on the controller's status, libmosquitto's redelivery), or 30 s.
 */
static void watch_heal(const struct room_fixture *f, hv_client *pager, struct kround *r)
{
    for (int64_t end = hv_now_us() + 30000000; hv_now_us() < end;) {
        if (r->help && hv_now_us() > r->help + 3000000)
            break;
        hv_msg *m = hv_client_expect_msg(pager, rf_topic(f, "page/#"), 100);
        if (!m)
            continue;
        const char *id = json_str(m->payload, "id"), *reason = json_str(m->payload, "reason");
        if (id && strcmp(id, r->id) == 0) {
            if (r->help_pages++ == 0)
                r->help = m->recv_us;
        } else if (reason && strcmp(reason, "kiosk_offline") == 0) {
            r->offline_pages++;
        } else {
            r->other_pages++;
            fprintf(stderr, "netns: unexpected page: %s %s\n", m->topic, m->payload);
        }
        hv_msg_free(m);
    }
}

/* A nurse (a station) clears room's call id; true once its retained call is gone. */
static bool clear_call(const struct room_fixture *f, hv_client *station, const char *room,
                       const char *id)
{
    char body[160], rest[64], *c;

    snprintf(body, sizeof body, "{\"id\":\"%s\",\"by\":\"drill\"}", id);
    snprintf(rest, sizeof rest, "call/%s/clear/station", room);
    if (hv_client_pub(station, rf_topic(f, rest), body, 1, false) != 0)
        return false;
    for (int i = 0; i < 50; i++) {
        c = retained_call(f, room);
        free(c);
        if (!c)
            return true;
    }
    return false;
}

static void print_kround(int n, bool press_first, const struct kround *r)
{
    printf("netns kiosk %d (pressed %s the kiosk noticed): kiosk offline after %.3f s, "
           "kiosk's will at %.3f s (-1: not before the page), controller's kiosk_offline page "
           "after %.3f s (issue's bound %.1f s%s); healed: kiosk reconnected after %.3f s, "
           "call %s paged %d time(s), %.3f s after the heal\n", n,
           press_first ? "before" : "after", sec(r->kiosk - r->cut),
           r->will ? sec(r->will - r->cut) : -1.0, sec(r->ctl - r->cut), BOUND_MS / 1000.0,
           r->ctl && r->ctl - r->cut <= BOUND_MS * 1000LL ? ": met" : ": NOT MET", r->back ? sec(r->back - r->heal) : -1.0, r->id,
           r->help_pages, r->help ? sec(r->help - r->heal) : -1.0);
}

/*
 * One round: the kiosk's link silenced, help pressed before (press_first) or
 * after the kiosk noticed, healed once the controller has paged kiosk_offline.
 */
static void kiosk_round(const struct room_fixture *f, struct kiosk_fixture *k, hv_client *pager,
                        hv_client *station, int n, bool press_first)
{
    struct kround r;
    long off = file_size(k->log_path);

    memset(&r, 0, sizeof r);
    hv_client_drain(pager);
    hv_client_drain(f->obs);
    r.cut = hv_now_us();
    REQUIRE(ip("link set vk0 down") == 0);
    if (press_first)
        CHECK(press_help(k, &r));
    r.kiosk = log_seen(k->log_path, off, "cannot reach the broker", BOUND_MS + 5000);
    CHECK(r.kiosk != 0);
    if (!press_first)
        CHECK(press_help(k, &r));
    watch_outage(f, pager, &r);
    CHECK(r.ctl != 0);

    off = file_size(k->log_path);
    r.heal = hv_now_us();
    REQUIRE(ip("link set vk0 up") == 0);
    r.back = log_seen(k->log_path, off, "connected;", 30000);
    CHECK(r.back != 0);
    watch_heal(f, pager, &r);
    print_kround(n, press_first, &r);

    CHECK(r.kiosk && r.kiosk - r.cut <= BOUND_MS * 1000LL);
    CHECK(r.ctl && r.ctl - r.cut <= BOUND_MS * 1000LL);  /* the issue's 1.5 x keepalive + 1 s */
    CHECK_INT_EQ(r.offline_pages, 1);  /* one kiosk_offline call per outage */
    CHECK_INT_EQ(r.help_pages, 1);     /* the call pressed in the outage: paged exactly once */
    CHECK_INT_EQ(r.other_pages, 0);
    CHECK(r.help > r.heal);
    CHECK_INT_EQ(db_rows(f->db_path, NULL, r.id, 0), 1);
    char *c = retained_call(f, "chair-1");
    CHECK(c && json_str(c, "id") && strcmp(json_str(c, "id"), r.id) == 0);
    free(c);
    CHECK(clear_call(f, station, "chair-1", r.id));  /* the next round starts quiet */
}

static void test_kiosk_link_silent(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    struct rf_opts o = { .cfg_text = kiosk_config, .private_broker = true,
                         .broker_conf = broker_conf };
    char broker[64];

    snprintf(broker, sizeof broker, KIOSK_ADDR ":%d", NS_PORT);
    REQUIRE(rf_start_opts(&f, &o) == 0);
    REQUIRE(kf_start_netns(&k, &f, "chair-1", 1280, 800, ns_kiosk, broker) == 0);
    hv_client *pager = pager_for(&f), *station = rf_client(&f, "netns-station");
    REQUIRE(pager && station);
    REQUIRE(begin_visit(&f, station));  /* the controller supervises the kiosk from now on */

    for (int r = 0; r < 2 && !check_current_failed; r++)
        kiosk_round(&f, &k, pager, station, r + 1, r == 0);
    ip("link set vk0 up");
    hv_client_free(pager);
    hv_client_free(station);
    kf_finish(&k);
    rf_finish(&f);
}

/* ---- drill: the controller's link goes silent with open calls --------------------------------- */

#define NCALLS 3
static const char *const ctl_rooms[NCALLS] = { "chair-1", "chair-2", "chair-3" };
static const char *const ctl_reasons[NCALLS] = { "help", "help", "safety" };

/* What the controller drill saw (times are hv_now_us()). */
struct cround {
    char ids[NCALLS][64];
    int64_t cut, lost, will, heal, back, esc_at[NCALLS];
    int esc[NCALLS], foreign[NCALLS], during;
};

/*
 * Puts every chair in its infusion (its kiosk online, retained), raises a call
 * in each and waits for their first pages.  True when all three were paged.
 */
static bool open_calls(const struct room_fixture *f, hv_client *kiosks, hv_client *pager,
                       struct cround *r)
{
    char rest[64], body[200];
    int pages = 0;

    for (int i = 0; i < NCALLS; i++) {
        snprintf(rest, sizeof rest, "room/%s/kiosk/status", ctl_rooms[i]);
        if (hv_client_pub(kiosks, rf_topic(f, rest), "{\"online\":true,\"phase\":\"infusion\","
                          "\"visit\":\"V-NS2\"}", 1, true) != 0)
            return false;
    }
    for (int i = 0; i < NCALLS; i++) {
        snprintf(r->ids[i], sizeof r->ids[i], "ns-%.12s-%d", f->prefix, i);
        snprintf(rest, sizeof rest, "room/%s/kiosk/call", ctl_rooms[i]);
        snprintf(body, sizeof body, "{\"id\":\"%s\",\"reason\":\"%s\"}", r->ids[i],
                 ctl_reasons[i]);
        if (hv_client_pub(kiosks, rf_topic(f, rest), body, 1, false) != 0)
            return false;
    }
    for (hv_msg *m; pages < NCALLS &&
         (m = hv_client_expect_msg(pager, rf_topic(f, "page/nurses"), 5000));) {
        pages++;
        hv_msg_free(m);
    }
    return pages == NCALLS;
}

/*
 * After the heal: waits until every call has escalated on its own id (pages
 * received after the heal, escalation >= 1), counting pages for its room that
 * carry another id; up to one escalation interval + 5 s.
 */
static void watch_escalations(const struct room_fixture *f, hv_client *pager, struct cround *r)
{
    for (int64_t end = hv_now_us() + (ESC_MS + 5000) * 1000LL; hv_now_us() < end;) {
        if (r->esc[0] && r->esc[1] && r->esc[2])
            break;
        hv_msg *m = hv_client_expect_msg(pager, rf_topic(f, "page/#"), 100);
        if (!m)
            continue;
        const char *room = json_str(m->payload, "room"), *id = json_str(m->payload, "id");
        for (int i = 0; i < NCALLS && room && id; i++) {
            if (strcmp(room, ctl_rooms[i]) != 0)
                continue;
            if (strcmp(id, r->ids[i]) != 0) {
                r->foreign[i]++;
                fprintf(stderr, "netns: %s paged with id %s, not %s\n", room, id, r->ids[i]);
            } else if (json_int(m->payload, "escalation") >= 1 && m->recv_us > r->heal) {
                if (r->esc[i]++ == 0)
                    r->esc_at[i] = m->recv_us;
            }
        }
        hv_msg_free(m);
    }
}

/* The controller's will (its status offline, from the broker): when it came, or 0. */
static int64_t controller_will(const struct room_fixture *f)
{
    int64_t at = 0;

    for (hv_msg *w; !at && (w = hv_client_expect_msg(f->obs, status_topic(f), BOUND_MS + 3000));) {
        if (json_is_false(w->payload, "online"))
            at = w->recv_us;
        hv_msg_free(w);
    }
    return at;
}

static double since_heal(const struct cround *r, int64_t t)
{
    return t ? sec(t - r->heal) : -1.0;
}

static void test_controller_link_silent(void)
{
    struct room_fixture f;
    struct cround r;
    char broker[64];

    snprintf(broker, sizeof broker, CTL_ADDR ":%d", NS_PORT);
    struct rf_opts o = { .cfg_text = ctl_config, .private_broker = true,
                         .broker_conf = broker_conf, .room_netns = ns_ctl,
                         .room_broker = broker };
    int64_t since = wall_ms() - 1000;

    memset(&r, 0, sizeof r);
    REQUIRE(rf_start_opts(&f, &o) == 0);
    hv_client *kiosks = rf_client(&f, "netns-kiosks"), *pager = pager_for(&f);
    REQUIRE(kiosks && pager);
    REQUIRE(open_calls(&f, kiosks, pager, &r));
    hv_client_drain(pager);
    hv_client_drain(f.obs);

    long off = file_size(f.log_path);
    r.cut = hv_now_us();
    REQUIRE(ip("link set vc0 down") == 0);
    r.lost = log_seen(f.log_path, off, "lost the broker", BOUND_MS + 5000);
    CHECK(r.lost != 0);
    r.will = controller_will(&f);                            /* for the boards; informational */
    r.during = hv_client_count(pager, rf_topic(&f, "page/#"));  /* none can get out */

    off = file_size(f.log_path);
    r.heal = hv_now_us();
    REQUIRE(ip("link set vc0 up") == 0);
    r.back = log_seen(f.log_path, off, "connected to the broker", 30000);
    CHECK(r.back != 0);
    watch_escalations(&f, pager, &r);
    printf("netns controller: its link silent; it noticed after %.3f s (bound %.1f s), its will "
           "at %.3f s, %d page(s) got out meanwhile; healed: reconnected after %.3f s, "
           "escalations after the heal at %.3f / %.3f / %.3f s\n", sec(r.lost - r.cut),
           BOUND_MS / 1000.0, r.will ? sec(r.will - r.cut) : -1.0, r.during,
           since_heal(&r, r.back), since_heal(&r, r.esc_at[0]), since_heal(&r, r.esc_at[1]),
           since_heal(&r, r.esc_at[2]));
    CHECK(r.lost && r.lost - r.cut <= BOUND_MS * 1000LL);
    for (int i = 0; i < NCALLS; i++) {
        char *c = retained_call(&f, ctl_rooms[i]);
        const char *st = c ? json_str(c, "state") : NULL;
        CHECK(c && json_str(c, "id") && strcmp(json_str(c, "id"), r.ids[i]) == 0);
        CHECK(st && strcmp(st, "open") == 0);  /* still open */
        free(c);
        CHECK(r.esc[i] >= 1);                  /* still escalates */
        CHECK_INT_EQ(r.foreign[i], 0);         /* not duplicated into another call */
        CHECK_INT_EQ(db_rows(f.db_path, ctl_rooms[i], NULL, since), 1);
        CHECK_INT_EQ(db_rows(f.db_path, NULL, r.ids[i], 0), 1);
    }
    ip("link set vc0 up");
    hv_client_free(kiosks);
    hv_client_free(pager);
    rf_finish(&f);
}

/* ---- main ------------------------------------------------------------------------------------ */

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc = setup_namespaces();  /* first: before any thread exists */
    if (rc == SKIP_CODE)
        return SKIP_CODE;
    if (rc != 0) {
        fprintf(stderr, "netns: cannot set up the namespaces\n");
        return 1;
    }
    printf("netns: keepalive %d s, bound 1.5 x keepalive + 1 s = %d ms, for the kiosk's "
           "offline screen and the controller's kiosk_offline page alike\n", KEEPALIVE_S,
           BOUND_MS);
    RUN(test_kiosk_link_silent);
    RUN(test_controller_link_silent);
    return CHECK_SUMMARY();
}
