/* kit.c - the helpers the integration tests share (see kit.h). */
#include "kit.h"
#include "json_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the room kit ------------------------------------------------------------------ */

/*
 * After connecting, the controller re-publishes every room's retained call
 * (empty here).  Waits until the observer has them, so that a client that
 * subscribes later sees only what the test caused.  0, or -1 (and says why).
 */
static int settle(struct room_fixture *f)
{
    for (int i = 0; i < 4; i++) {
        char *m = hv_client_expect(f->obs, rf_topic(f, "call/+"), 5000);
        if (!m) {
            fprintf(stderr, "settle: the controller did not publish the 4 rooms' calls\n");
            return -1;
        }
        free(m);
    }
    return 0;
}

void room_kit_run(void (*body)(struct room_kit *t))
{
    struct room_kit t;
    char *cfg = rf_default_config("%PREFIX%", NULL);

    memset(&t, 0, sizeof t);
    if (cfg && rf_start(&t.f, cfg, false) == 0 && settle(&t.f) == 0) {
        t.kiosk = rf_client(&t.f, "kiosk");
        t.pager = rf_client(&t.f, "pager");
        t.nurse = rf_client(&t.f, "nurse");
        if (t.kiosk && t.pager && t.nurse &&
            hv_client_sub(t.kiosk, rf_topic(&t.f, "room/+/kiosk/cmd"), 1) == 0 &&
            hv_client_sub(t.kiosk, rf_topic(&t.f, "call/+"), 1) == 0 &&
            hv_client_sub(t.pager, rf_topic(&t.f, "page/+"), 1) == 0) {
            body(&t);
            /* Only stations write kiosk/cmd: the controller tells a kiosk about its call
             * through P/call/R alone (protocol.md), in every test. */
            CHECK_INT_EQ(hv_client_count(t.kiosk, rf_topic(&t.f, "room/+/kiosk/cmd")), 0);
        } else
            CHECK(!"test clients connected and subscribed");
        CHECK(t.f.room && hv_proc_wait(t.f.room, 0) == -1);  /* the controller still runs */
    } else {
        CHECK(!"fixture started");
    }
    hv_client_free(t.kiosk);
    hv_client_free(t.pager);
    hv_client_free(t.nurse);
    rf_finish(&t.f);
    free(cfg);
}

hv_msg *next_page_msg_(struct room_kit *t, const char *group, int timeout_ms, const char *file,
                       int line)
{
    char want[128];
    hv_msg *m = hv_client_expect_msg(t->pager, rf_topic(&t->f, "page/+"), timeout_ms);

    snprintf(want, sizeof want, "%s/page/%s", t->f.prefix, group);
    if (!check_true(m != NULL, "a page arrived", file, line))
        return NULL;
    check_str_eq(m->topic, want, "page topic", "expected page topic", file, line);
    return m;
}

char *next_page_(struct room_kit *t, const char *group, int timeout_ms, const char *file,
                 int line)
{
    hv_msg *m = next_page_msg_(t, group, timeout_ms, file, line);
    char *p = m ? malloc((size_t)m->payloadlen + 1) : NULL;

    if (p)
        memcpy(p, m->payload, (size_t)m->payloadlen + 1);
    hv_msg_free(m);
    return p;
}

char *kiosk_told(struct room_kit *t, const char *room, const char *state, int timeout_ms)
{
    return expect_call_state(t->kiosk, &t->f, room, state, timeout_ms);
}

char *expect_call_state(hv_client *c, const struct room_fixture *f, const char *room,
                        const char *state, int timeout_ms)
{
    char rest[96];
    int64_t end = hv_now_us() + (int64_t)timeout_ms * 1000;

    snprintf(rest, sizeof rest, "call/%s", room);
    for (int64_t left; (left = end - hv_now_us()) > 0;) {
        char *p = hv_client_expect(c, rf_topic(f, rest), (int)(left / 1000) + 1);
        const char *st = p && p[0] ? json_str(p, "state") : NULL;
        if (!p || (state ? st && strcmp(st, state) == 0 : p[0] == '\0'))
            return p;
        free(p);  /* an earlier state of the call: the kiosk waits on */
    }
    return NULL;
}

char *call_update(struct room_kit *t, const char *room, int timeout_ms)
{
    char rest[96];

    snprintf(rest, sizeof rest, "call/%s", room);
    return hv_client_expect(t->f.obs, rf_topic(&t->f, rest), timeout_ms);
}

char *retained_call_(struct room_kit *t, const char *room, const char *file, int line)
{
    char rest[96];
    bool retained = false;
    hv_client *board = rf_client(&t->f, "board");
    char *p = NULL;

    snprintf(rest, sizeof rest, "call/%s", room);
    if (board && hv_client_sub(board, rf_topic(&t->f, rest), 1) == 0) {
        p = hv_client_expect_t(board, rf_topic(&t->f, rest), 600, NULL, &retained);
        if (p) {
            check_true(retained, "the call is delivered as retained", file, line);
            check_true(p[0] != '\0', "a retained call is not empty", file, line);
        }
    } else {
        check_true(false, "board connected and subscribed", file, line);
    }
    hv_client_free(board);
    return p;
}

/* ---- for tests that drive a struct room_fixture themselves ----------------------------- */

const char config_long_timers[] =
    "prefix = \"%PREFIX%\";\n"
    "controller = { id = \"ctl-%PREFIX%\"; realert_min = 0; };\n"
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

const char *status_topic(const struct room_fixture *f)
{
    static char t[128];

    snprintf(t, sizeof t, "%s/controller/ctl-%s/status", f->prefix, f->prefix);
    return t;
}

bool wait_log(const struct room_fixture *f, const char *needle, int timeout_ms)
{
    int64_t end = hv_now_us() + (int64_t)timeout_ms * 1000;

    do {
        char *log = hv_read_file(f->log_path);
        bool found = log && strstr(log, needle);
        free(log);
        if (found)
            return true;
        hv_sleep_ms(20);
    } while (hv_now_us() < end);
    return false;
}

bool sync_room(const struct room_fixture *f, hv_client *c)
{
    static int n;
    char id[32], body[96], needle[96];

    snprintf(id, sizeof id, "probe-%d", ++n);
    snprintf(body, sizeof body, "{\"id\":\"%s\",\"by\":\"probe\"}", id);
    snprintf(needle, sizeof needle, "acknowledgement for %s,", id);
    return hv_client_pub(c, rf_topic(f, "call/chair-2/ack/station"), body, 1, false) == 0 &&
           wait_log(f, needle, 5000);
}

void sleep_until(int64_t t0_us, int ms)
{
    int64_t left = t0_us + (int64_t)ms * 1000 - hv_now_us();

    if (left > 0)
        hv_sleep_ms((int)(left / 1000));
}

int publish_call(hv_client *kiosk, const struct room_fixture *f, const char *room,
                 const char *id)
{
    char topic[128], body[160];

    snprintf(topic, sizeof topic, "room/%s/kiosk/call", room);
    snprintf(body, sizeof body,
             "{\"id\":\"%s\",\"reason\":\"help\",\"ts\":\"2026-11-21T10:00:00.000Z\"}", id);
    return hv_client_pub(kiosk, rf_topic(f, topic), body, 1, false);
}

char *retained_payload(const struct room_fixture *f, const char *topic, int wait_ms)
{
    hv_client *b = rf_client(f, "late-subscriber");
    hv_msg *m;
    char *payload = NULL;

    if (!b || hv_client_sub(b, topic, 1) != 0) {
        fprintf(stderr, "retained_payload: cannot subscribe to %s\n", topic);
        hv_client_free(b);
        return NULL;
    }
    m = hv_client_expect_msg(b, topic, wait_ms);
    if (m && m->retain && m->payloadlen > 0 && json_parses(m->payload))
        payload = strdup(m->payload);
    else if (m && m->retain && m->payloadlen > 0)
        fprintf(stderr, "the retained message on %s is not JSON: %s\n", topic, m->payload);
    else
        fprintf(stderr, "no retained message on %s\n", topic);
    hv_msg_free(m);
    hv_client_free(b);
    return payload;
}
