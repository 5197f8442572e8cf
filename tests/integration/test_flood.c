/*
 * test_flood.c - floods from one kiosk (issue 12 item 3, DESIGN P8), real
 * broker and real haven-room with the controller's defaults for floods:
 *
 *  - 10,000 distinct call ids from one kiosk in a burst give exactly one page
 *    for that room, and a call from another room sent during the flood is
 *    paged within the usual latency (measured, printed; bound 1 s);
 *  - 2,000 status messages alternating offline/online during a visit give at
 *    most one kiosk_offline call.
 */
#include "check.h"
#include "json_util.h"
#include "kit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FLOOD_IDS = 10000, FLOOD_STATUS = 2000 };

struct flood {
    const struct room_fixture *f;
    hv_client *kiosk;
    atomic_int sent;
};

/* The flooding kiosk: FLOOD_IDS help calls, each with a new id, back to back (QoS 1). */
static void *flood_ids(void *ud)
{
    struct flood *fl = ud;
    char body[96];
    const char *topic = rf_topic(fl->f, "room/chair-1/kiosk/call");
    char t[128];

    snprintf(t, sizeof t, "%s", topic);
    for (int i = 0; i < FLOOD_IDS; i++) {
        snprintf(body, sizeof body, "{\"id\":\"flood-%d\",\"reason\":\"help\"}", i);
        if (hv_client_pub(fl->kiosk, t, body, 1, false) == 0)
            atomic_fetch_add(&fl->sent, 1);
    }
    return NULL;
}

/* Lines of the controller's log that contain both a and b. */
static int log_lines_with(const struct room_fixture *f, const char *a, const char *b)
{
    char *log = hv_read_file(f->log_path);
    int n = 0;

    for (char *line = log ? strtok(log, "\n") : NULL; line; line = strtok(NULL, "\n"))
        n += strstr(line, a) && strstr(line, b);
    free(log);
    return n;
}

/* Pages for room in the pager's queue (taken off it). */
static int first_pages_for(hv_client *pager, const struct room_fixture *f, const char *room)
{
    hv_msg *m;
    int n = 0;

    while ((m = hv_client_expect_msg(pager, rf_topic(f, "page/+"), 0))) {
        if (json_parses(m->payload) && strcmp(json_str(m->payload, "room"), room) == 0)
            n++;
        hv_msg_free(m);
    }
    return n;
}

static void test_flood_of_call_ids_pages_once(void)
{
    struct room_fixture f;
    struct flood fl;
    pthread_t th;

    REQUIRE(rf_start(&f, config_long_timers, false) == 0);
    hv_client *pager = rf_client(&f, "pager");
    hv_client *other = rf_client(&f, "kiosk-2");
    fl.f = &f;
    fl.kiosk = rf_client(&f, "kiosk-1");
    atomic_init(&fl.sent, 0);
    REQUIRE(pager && other && fl.kiosk && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);

    int64_t t0 = hv_now_us();
    REQUIRE(pthread_create(&th, NULL, flood_ids, &fl) == 0);
    /* A condition with a deadline: a third of the flood is out (or the flood failed). */
    for (int64_t end = t0 + 30000000; atomic_load(&fl.sent) < FLOOD_IDS / 3 && hv_now_us() < end;)
        hv_sleep_ms(5);
    CHECK(atomic_load(&fl.sent) >= FLOOD_IDS / 3);
    /* Another room calls in the middle of the flood. */
    int64_t t1 = hv_now_us();
    CHECK(hv_client_pub(other, rf_topic(&f, "room/chair-2/kiosk/call"),
                        "{\"id\":\"calm-1\",\"reason\":\"help\"}", 1, false) == 0);
    hv_msg *m = NULL;
    int pages = 0;
    for (;;) {  /* chair-1's page(s) come first: counted */
        m = hv_client_expect_msg(pager, rf_topic(&f, "page/+"), 3000);
        if (!m || (json_parses(m->payload) && strcmp(json_str(m->payload, "room"), "chair-2") == 0))
            break;
        pages++;
        hv_msg_free(m);
    }
    REQUIRE(m != NULL);
    double latency_ms = (double)(m->recv_us - t1) / 1000.0;
    int during = atomic_load(&fl.sent);
    hv_msg_free(m);
    pthread_join(th, NULL);
    double flood_s = (double)(hv_now_us() - t0) / 1e6;
    CHECK_INT_EQ(atomic_load(&fl.sent), FLOOD_IDS);
    REQUIRE(sync_room(&f, other));  /* the controller has handled the whole flood */

    pages += first_pages_for(pager, &f, "chair-1");
    fprintf(stderr, "flood: %d call ids from chair-1 in %.2f s -> %d page(s) for chair-1; "
            "chair-2's call, sent after %d of them, paged in %.1f ms\n",
            FLOOD_IDS, flood_s, pages, during, latency_ms);
    CHECK_INT_EQ(pages, 1);
    /* The bound is the usual latency with room for a busy machine; under valgrind memcheck
     * haven-room runs 20-50x slower, so there it only proves the call was not starved. */
    CHECK(latency_ms < (rf_valgrind() ? 5000.0 : 1000.0));
    CHECK_INT_EQ(log_lines_with(&f, "chair-1: call ", " opened ("), 1);
    CHECK(wait_log(&f, "over its input budget", 0));
    char *c = retained_payload(&f, rf_topic(&f, "call/chair-1"), 2000);
    CHECK(c != NULL);
    CHECK_STR_EQ(json_str(c, "id"), "flood-0");
    free(c);
    CHECK_INT_EQ(hv_proc_wait(f.room, 0), -1);

    hv_client_free(fl.kiosk);
    hv_client_free(other);
    hv_client_free(pager);
    rf_finish(&f);
}

static void test_flapping_status_one_offline_call(void)
{
    struct room_fixture f;
    static const char online[] =
        "{\"online\":true,\"phase\":\"infusion\",\"visit\":\"V-1\",\"ts\":\"2026-11-21T10:00:00.000Z\"}";

    REQUIRE(rf_start(&f, config_long_timers, false) == 0);
    hv_client *pager = rf_client(&f, "pager");
    hv_client *kiosk = rf_client(&f, "kiosk-1");
    REQUIRE(pager && kiosk && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);
    const char *topic = rf_topic(&f, "room/chair-1/kiosk/status");
    char t[128];
    snprintf(t, sizeof t, "%s", topic);
    REQUIRE(hv_client_pub(kiosk, t, online, 1, true) == 0);
    REQUIRE(sync_room(&f, kiosk));

    int64_t t0 = hv_now_us();
    for (int i = 0; i < FLOOD_STATUS; i++)
        CHECK(hv_client_pub(kiosk, t, i % 2 == 0 ? "{\"online\":false}" : online, 1, true) == 0);
    REQUIRE(sync_room(&f, kiosk));
    double flood_s = (double)(hv_now_us() - t0) / 1e6;
    /* The grace (500 ms) and more: a call that was going to open has opened. */
    (void)hv_client_expect_none(pager, rf_topic(&f, "page/+"), 1500);
    int pages = 0;
    hv_msg *m;
    while ((m = hv_client_expect_msg(pager, rf_topic(&f, "page/+"), 0))) {
        if (json_parses(m->payload) && strcmp(json_str(m->payload, "reason"), "kiosk_offline") == 0)
            pages++;
        hv_msg_free(m);
    }
    fprintf(stderr, "flap: %d statuses in %.2f s -> %d kiosk_offline page(s)\n", FLOOD_STATUS,
            flood_s, pages);
    CHECK(pages <= 1);
    CHECK_INT_EQ(log_lines_with(&f, "chair-1: kiosk went offline", ""), pages);
    CHECK_INT_EQ(hv_proc_wait(f.room, 0), -1);
    CHECK(hv_client_pub(kiosk, t, NULL, 1, true) == 0);

    hv_client_free(kiosk);
    hv_client_free(pager);
    rf_finish(&f);
}

int main(void)
{
    RUN(test_flood_of_call_ids_pages_once);
    RUN(test_flapping_status_one_offline_call);
    return CHECK_SUMMARY();
}
